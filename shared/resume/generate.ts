/**
 * The seam between the client protocols (Gemini native, OpenAI) and the upstream: one call that
 * turns a generate request into a stream of Gemini answer events. Upstream is always called with
 * `streamGenerateContent?alt=sse`; routing and failover apply to every attempt.
 */
import type { AppContext } from "../app.ts";
import { GemrelayError, UpstreamResponseError } from "../errors.ts";
import { decodeSseData } from "../gemini/sse.ts";
import { generateContentResponseSchema, type GenerateContentRequest, type GenerateContentResponse } from "../gemini/types.ts";
import type { Background } from "../routing/pool-view.ts";
import { sendWithFailover } from "../routing/scheduler.ts";

/** A generate request, independent of the protocol the client spoke. */
export interface GenerateCall {
  requestId: string;
  /** Model id without `models/`. */
  model: string;
  /** API version segment of the upstream path (`v1beta`, `v1`, `v1alpha`). */
  apiVersion: string;
  body: GenerateContentRequest;
  /** Client headers worth forwarding (x-goog-api-client). */
  headers: Headers;
  /** Pass-through: the client's own Gemini key. */
  clientKey?: string;
  stickyHash?: number;
  signal?: AbortSignal;
}

/** What the client stream carries, in order. */
export type GenerateEvent =
  /** An answer chunk; `data` is its JSON text, forwarded verbatim when nothing had to change. */
  | { kind: "chunk"; data: string; response: GenerateContentResponse }
  /** Nothing to send yet but the attempt is alive (keep the client connection open). */
  | { kind: "heartbeat" }
  /** The answer could not be completed after it started: the terminal in-band signal. */
  | { kind: "error"; error: GemrelayError };

/**
 * Sends `call` upstream and returns its events. Throws a GemrelayError before anything is
 * streamed when no attempt succeeds (the caller answers with a status line); after that, failures
 * arrive as a final `error` event.
 */
export async function generate(call: GenerateCall, context: AppContext, background: Background): Promise<ReadableStream<GenerateEvent>> {
  const headers = new Headers(call.headers);
  headers.set("content-type", "application/json");
  const plan = {
    requestId: call.requestId,
    model: call.model,
    method: "POST",
    pathAndQuery: `/${call.apiVersion}/models/${encodeURIComponent(call.model)}:streamGenerateContent?alt=sse`,
    headers,
    body: new TextEncoder().encode(JSON.stringify(call.body)).buffer as ArrayBuffer,
    ...(call.clientKey ? { clientKey: call.clientKey } : {}),
    ...(call.stickyHash !== undefined ? { stickyHash: call.stickyHash } : {}),
    ...(call.signal ? { signal: call.signal } : {}),
  };
  const { response } = await sendWithFailover(plan, context, background);
  if (!response.ok) throw new UpstreamResponseError(await response.text(), response.status, response.headers);
  if (!response.body) throw new GemrelayError("Gemini answered without a body.", 502);
  const reader = decodeSseData(response.body).getReader();
  return new ReadableStream<GenerateEvent>({
    async pull(controller) {
      try {
        const next = await reader.read();
        if (next.done) return controller.close();
        const parsed = generateContentResponseSchema.safeParse(JSON.parse(next.value));
        if (!parsed.success) {
          controller.enqueue({ kind: "error", error: new GemrelayError("Gemini sent an unreadable chunk.", 502) });
          return controller.close();
        }
        controller.enqueue({ kind: "chunk", data: next.value, response: parsed.data });
      } catch (error) {
        controller.enqueue({ kind: "error", error: new GemrelayError(`The upstream stream failed: ${error instanceof Error ? error.message : String(error)}`, 502) });
        controller.close();
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
