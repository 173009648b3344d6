/**
 * `/v1beta/openai/*`: Gemini's own OpenAI-compatible endpoint, forwarded (body, query, answer,
 * stream) with a pool key put as `Authorization: Bearer` by the egress
 * (shared/egress/headers.ts), and with routing and failover like every other call. The model
 * policy is applied to the body first (forward-policy.ts), so this surface is no way around it;
 * the model it names is what allow-lists, budgets and cooldowns apply to.
 */
import type { AppContext } from "../app.ts";
import type { ClientIdentity } from "../auth.ts";
import { clientResponseHeaders } from "../egress/headers.ts";
import { forwardedQuery } from "../egress/target.ts";
import { parseGeminiPath } from "../gemini/paths.ts";
import { isDisabled } from "../policy/model-policy.ts";
import type { Background } from "../routing/pool-view.ts";
import { readBoundedBody } from "../body.ts";
import { traceOf } from "../usage/trace.ts";
import { OpenAiRequestError } from "./errors.ts";
import { forwardPlan } from "./forward-policy.ts";
import { sendUpstream } from "./upstream.ts";

/** Gemini's `GET /v1beta/openai/models` answer without the models the policy disables; other shapes pass unchanged. */
async function visibleModels(response: Response, context: AppContext): Promise<BodyInit | null> {
  const text = await response.text();
  try {
    const list = JSON.parse(text) as unknown;
    if (typeof list !== "object" || list === null || !Array.isArray((list as { data?: unknown }).data)) return text;
    const policy = await context.policies.models.current();
    const data = ((list as { data: unknown[] }).data).filter((entry) => {
      const id = typeof entry === "object" && entry !== null ? (entry as { id?: unknown }).id : undefined;
      return typeof id !== "string" || !isDisabled(policy, id);
    });
    return JSON.stringify({ ...list, data });
  } catch {
    return text;
  }
}

/** Forwards one request under `/v1beta/openai/` (`path` from the version segment on). */
export async function forwardToGeminiOpenAi(request: Request, url: URL, path: string, identity: ClientIdentity, context: AppContext, background: Background): Promise<Response> {
  const problem = parseGeminiPath(path)?.problem;
  if (problem) throw new OpenAiRequestError(problem.message, null, "invalid_path");
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  const bytes = hasBody ? await readBoundedBody(request, context.config.maxBodyBytes) : null;
  const plan = forwardPlan(
    { path, method: request.method, body: bytes, contentType: request.headers.get("content-type"), accessKey: traceOf({ signal: request.signal })?.client.accessKey ?? "" },
    await context.policies.models.current(),
    context.config.openai,
  );
  const response = await sendUpstream(
    {
      method: request.method,
      pathAndQuery: plan.path + forwardedQuery(url.search),
      model: plan.model,
      body: plan.body ? (plan.body.slice().buffer as ArrayBuffer) : null,
      ...(request.headers.has("content-type") ? { contentType: request.headers.get("content-type") ?? "" } : {}),
      signal: request.signal,
    },
    identity,
    context,
    background,
  );
  const headers = clientResponseHeaders(response.headers);
  if (request.method === "GET" && plan.path === "/v1beta/openai/models" && response.ok) return new Response(await visibleModels(response, context), { status: response.status, headers });
  return new Response(response.body, { status: response.status, headers });
}
