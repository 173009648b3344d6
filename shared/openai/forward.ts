/**
 * `/v1beta/openai/*`: Gemini's own OpenAI-compatible endpoint, forwarded as is (body, query,
 * answer, stream) with a pool key put as `Authorization: Bearer` by the egress
 * (shared/egress/headers.ts), and with routing and failover like every other call. The model is
 * read from the body so that a 429 cools the key for that model only.
 */
import { z } from "zod";
import type { AppContext } from "../app.ts";
import type { ClientIdentity } from "../auth.ts";
import { clientResponseHeaders } from "../egress/headers.ts";
import { forwardedQuery } from "../egress/target.ts";
import type { Background } from "../routing/pool-view.ts";
import { readBoundedBody } from "../body.ts";
import { sendUpstream } from "./upstream.ts";

const modelField = z.looseObject({ model: z.string().min(1) });

function modelOf(body: Uint8Array): string {
  try {
    const parsed = modelField.safeParse(JSON.parse(new TextDecoder().decode(body)));
    return parsed.success ? parsed.data.model.replace(/^models\//, "") : "*";
  } catch {
    return "*";
  }
}

/** Forwards one request under `/v1beta/openai/` (`path` from the version segment on). */
export async function forwardToGeminiOpenAi(request: Request, url: URL, path: string, identity: ClientIdentity, context: AppContext, background: Background): Promise<Response> {
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  const bytes = hasBody ? await readBoundedBody(request, context.config.maxBodyBytes) : null;
  const response = await sendUpstream(
    {
      method: request.method,
      pathAndQuery: path + forwardedQuery(url.search),
      model: bytes ? modelOf(bytes) : "*",
      body: bytes ? (bytes.slice().buffer as ArrayBuffer) : null,
      ...(request.headers.has("content-type") ? { contentType: request.headers.get("content-type") ?? "" } : {}),
      signal: request.signal,
    },
    identity,
    context,
    background,
  );
  return new Response(response.body, { status: response.status, headers: clientResponseHeaders(response.headers) });
}
