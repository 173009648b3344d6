/**
 * Gemini native requests on the resume worker: authenticate, send through the attempt scheduler
 * (a pool key, or the client's own in pass-through), stream the answer back as it arrives.
 */
import type { AppContext } from "./app.ts";
import { authenticate } from "./auth.ts";
import type { GeminiPath } from "./gemini/paths.ts";
import { decodeSseData, jsonArrayEncoder } from "./gemini/sse.ts";
import type { Background } from "./routing/pool-view.ts";
import { sendWithFailover, type AttemptPlan } from "./routing/scheduler.ts";
import { conversationHash } from "./routing/sticky.ts";

/** Client headers worth passing on; everything else stays at the worker. */
const forwardedRequestHeaders = ["content-type", "x-goog-api-client"];

/** Response headers the runtime manages itself or that no longer describe the body. */
const droppedResponseHeaders = ["content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"];

async function readBody(request: Request, route: GeminiPath): Promise<AttemptPlan["body"]> {
  if (request.method === "GET" || request.method === "HEAD") return null;
  // Uploads can be large: stream them. Everything else is small JSON that a retry may resend.
  if (route.version === "upload") return request.body;
  return request.arrayBuffer();
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
  const body = await readBody(request, route);
  const plan: AttemptPlan = {
    requestId: crypto.randomUUID(),
    model: route.model ?? "*",
    method: request.method,
    pathAndQuery: route.path + (search ? `?${search}` : ""),
    headers,
    body,
    signal: request.signal,
  };
  if (identity.mode === "pass-through") plan.clientKey = identity.key;
  if (context.config.routing.sticky && body instanceof ArrayBuffer) {
    const hash = conversationHash(body);
    if (hash !== null) plan.stickyHash = hash;
  }

  const { response } = await sendWithFailover(plan, context, background);
  const responseHeaders = new Headers(response.headers);
  for (const name of droppedResponseHeaders) responseHeaders.delete(name);
  if (arrayForm && response.ok && response.body) {
    responseHeaders.set("content-type", "application/json; charset=UTF-8");
    return new Response(decodeSseData(response.body).pipeThrough(jsonArrayEncoder()), { status: response.status, headers: responseHeaders });
  }
  return new Response(response.body, { status: response.status, headers: responseHeaders });
}
