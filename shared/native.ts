/**
 * Gemini native requests on the resume worker: authenticate, send through the attempt scheduler
 * (a pool key, or the client's own in pass-through), stream the answer back as it arrives.
 */
import type { AppContext } from "./app.ts";
import { authenticate } from "./auth.ts";
import { parseJsonBody, readBoundedBody } from "./body.ts";
import { clientResponseHeaders } from "./egress/headers.ts";
import { BadRequestError, GemrelayError } from "./errors.ts";
import { arrayEncoder, collectAnswer, sseEncoder } from "./gemini/encode.ts";
import { withModel, type GeminiPath } from "./gemini/paths.ts";
import { SseDataReader, jsonArrayEncoder } from "./gemini/sse.ts";
import { generateContentRequestSchema, type GenerateContentRequest } from "./gemini/types.ts";
import { nativeModelList } from "./policy/model-lists.ts";
import { admitBodyModel } from "./policy/body-model.ts";
import { admitModel } from "./policy/model-requests.ts";
import { continueUploadSession, resourceAnswer } from "./resources/answers.ts";
import { listAcrossKeys } from "./resources/listing.ts";
import { listedCollection } from "./resources/names.ts";
import { resumeOverrides } from "./resume/config.ts";
import { generate } from "./resume/generate.ts";
import type { Background } from "./routing/pool-view.ts";
import { sendWithFailover, type AttemptPlan } from "./routing/scheduler.ts";
import { conversationHash } from "./routing/sticky.ts";
import { streamedAnswerHeaders, transformed } from "./streams.ts";
import { endReporter, wholeResponse } from "./usage/trace.ts";

/** Client headers worth passing on; everything else stays at the worker. */
const forwardedRequestHeaders = ["content-type", "x-goog-api-client"];

/** And the headers of Gemini's upload protocol (`X-Goog-Upload-Protocol`, `-Command`, `-Offset`, …). */
const forwardedRequestHeaderPrefix = "x-goog-upload-";

/** Non-streaming answers: how many continuations were stitched into the answer. */
const continuationsHeader = "x-gemrelay-continuations";

async function readBody(request: Request, route: GeminiPath, limit: number): Promise<AttemptPlan["body"]> {
  if (request.method === "GET" || request.method === "HEAD") return null;
  // Uploads can be large: stream them. Everything else is small JSON that a retry may resend.
  if (route.version === "upload") return request.body;
  return (await readBoundedBody(request, limit)).buffer;
}

function isGenerate(action: string | null): action is "generateContent" | "streamGenerateContent" {
  return action === "generateContent" || action === "streamGenerateContent";
}

/** Parses a generate request body sent as `contentType`, or throws a 400 naming the fault. */
export function parseGenerateRequest(body: ArrayBuffer, contentType: string | null): GenerateContentRequest {
  const json = parseJsonBody(new Uint8Array(body), contentType);
  if ("problem" in json) throw new BadRequestError(`Invalid JSON payload received: the request body ${json.problem}.`);
  const parsed = generateContentRequestSchema.safeParse(json.value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.length ? issue.path.join(".") : "(body)";
  throw new BadRequestError(`Invalid request body at ${field}: ${issue?.message ?? "invalid"}.`);
}

/** Handles any Gemini native path (generate, stream, count, embed, models, files, …). */
export async function handleNative(
  request: Request,
  url: URL,
  route: GeminiPath,
  context: AppContext,
  background: Background,
): Promise<Response> {
  const identity = authenticate(request, url, context.config);
  // The path grammar (gemini/paths.ts) refused a spelling of a model path: never forwarded as "no model".
  if (route.problem !== null) throw new GemrelayError(route.problem.message, route.problem.status);
  // Model methods are POST only; a GET or HEAD on one would reach Google as a call of its own.
  if (route.action !== null && request.method !== "POST") {
    throw new GemrelayError(`Method not found: ${route.action} takes POST, not ${request.method}.`, 404);
  }

  const query = new URLSearchParams(url.search);
  query.delete("key");
  // Upstream is always asked for SSE; the JSON-array form is re-encoded here (DESIGN.md, Resume).
  const arrayForm = route.action === "streamGenerateContent" && query.get("alt") !== "sse";
  if (arrayForm) query.set("alt", "sse");
  const search = query.toString();

  const headers = new Headers();
  for (const name of forwardedRequestHeaders) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  request.headers.forEach((value, name) => {
    if (name.startsWith(forwardedRequestHeaderPrefix)) headers.set(name, value);
  });
  const body = await readBody(request, route, context.config.maxBodyBytes);
  const requestId = crypto.randomUUID();
  let stickyHash: number | undefined;
  if (context.config.routing.sticky && body instanceof ArrayBuffer) stickyHash = conversationHash(body) ?? undefined;

  if (route.model !== null && isGenerate(route.action) && request.method === "POST" && body instanceof ArrayBuffer) {
    let continuations = 0;
    const events = await generate(
      {
        requestId,
        model: route.model,
        apiVersion: route.version === "upload" ? "v1beta" : route.version,
        body: parseGenerateRequest(body, request.headers.get("content-type")),
        headers,
        ...(identity.mode === "pass-through" ? { clientKey: identity.key } : {}),
        ...(stickyHash !== undefined ? { stickyHash } : {}),
        signal: request.signal,
        resume: resumeOverrides(request.headers),
        onSummary: (summary) => (continuations = summary.continuations),
      },
      context,
      background,
    );
    if (route.action === "generateContent") {
      const answer = await collectAnswer(events);
      if ("error" in answer) throw answer.error;
      // Known only once the answer is whole, so only here: streams carry no such header.
      return wholeResponse(request, Response.json(answer.response, { headers: { [continuationsHeader]: String(continuations) } }));
    }
    const sse = !arrayForm;
    return new Response(transformed(events, sse ? sseEncoder() : arrayEncoder(), endReporter(request)), {
      headers: streamedAnswerHeaders(sse ? "text/event-stream" : "application/json; charset=UTF-8"),
    });
  }

  // Model policy on the other model paths (countTokens, embedContent, GET models/{id}): 404 or alias.
  const policy = await context.policies.models.current();
  const target = route.model === null ? null : admitModel(policy, route.model);
  const path = target !== null ? withModel(route, target) : route.path;
  const modelList = route.model === null && request.method === "GET" && /\/models$/.test(route.path);
  const cacheKey = path + (search ? `?${search}` : "");
  const cached = modelList && identity.mode === "pool" ? context.modelLists.native.get(cacheKey) : undefined;
  if (cached !== undefined) {
    // Served from the cache, with the headers of the upstream answer it came from.
    return new Response(nativeModelList(cached, policy), { headers: clientResponseHeaders(new Headers({ "content-type": "application/json; charset=UTF-8" })) });
  }
  // A context cache names its model in the body: the same policy applies to it.
  const named = target === null && body instanceof ArrayBuffer ? admitBodyModel(route.path, request.method, body, request.headers.get("content-type"), policy) : null;
  const plan: AttemptPlan = {
    requestId,
    model: target ?? named?.model ?? "*",
    method: request.method,
    pathAndQuery: path + (search ? `?${search}` : ""),
    headers,
    body: named?.body ?? body,
    signal: request.signal,
  };
  if (identity.mode === "pass-through") plan.clientKey = identity.key;
  if (stickyHash !== undefined) plan.stickyHash = stickyHash;

  // Upload chunks to gemrelay's session URL, lists merged across keys (resources/).
  const session = await continueUploadSession(context, url, route, plan, background);
  const listed = identity.mode === "pool" && session === null ? listedCollection(request.method, route.path) : null;
  if (listed !== null) {
    const merged = await listAcrossKeys(context, plan, route.path, query, listed, background);
    return new Response(merged.body, { status: merged.status, headers: clientResponseHeaders(merged.headers) });
  }
  const response = await resourceAnswer(context, request, url, route, identity, await sendWithFailover(plan, context, background), session);
  // Framing and cookies dropped, the upstream answer's CSP set (an upstream HTML page never runs here).
  const responseHeaders = clientResponseHeaders(response.headers);
  if (modelList && response.ok) {
    const text = await response.text();
    if (identity.mode === "pool") context.modelLists.native.set(cacheKey, text);
    return new Response(nativeModelList(text, policy), { status: response.status, headers: responseHeaders });
  }
  if (arrayForm && response.ok && response.body) {
    for (const [name, value] of Object.entries(streamedAnswerHeaders("application/json; charset=UTF-8"))) responseHeaders.set(name, value);
    return new Response(transformed(new SseDataReader(response.body), jsonArrayEncoder()), { status: response.status, headers: responseHeaders });
  }
  return new Response(response.body, { status: response.status, headers: responseHeaders });
}
