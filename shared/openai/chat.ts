/**
 * `POST /v1/chat/completions`: validated, mapped onto one Gemini generate call through the
 * seam (shared/resume/generate.ts), so routing, failover and resume apply exactly as on the
 * native path; the events come back as a chat completion or its stream.
 */
import type { AppContext } from "../app.ts";
import type { ClientIdentity } from "../auth.ts";
import { collectAnswer } from "../gemini/encode.ts";
import { resumeOverrides } from "../resume/config.ts";
import { generate, type GenerateCall } from "../resume/generate.ts";
import type { Background } from "../routing/pool-view.ts";
import { conversationHash } from "../routing/sticky.ts";
import { streamedAnswerHeaders, transformed } from "../streams.ts";
import { endReporter, wholeResponse } from "../usage/trace.ts";
import { readJsonBody } from "./body.ts";
import { newCompletionMeta, truncatedAnswerError } from "./completion.ts";
import { toGenerateRequest } from "./request.ts";
import { toChatCompletion } from "./response.ts";
import { chatRequestSchema } from "./schema.ts";
import { chatChunkEncoder } from "./stream.ts";

/** Answers one chat completion request. */
export async function handleChat(request: Request, identity: ClientIdentity, context: AppContext, background: Background): Promise<Response> {
  const settings = context.config.openai;
  const body = await readJsonBody(request, context.config.maxBodyBytes, chatRequestSchema);
  const mapped = await toGenerateRequest(body, settings, { fetch: context.imageFetch, bodyLimit: context.config.maxBodyBytes });
  let continuations = 0;
  const call: GenerateCall = {
    requestId: crypto.randomUUID(),
    model: mapped.model,
    apiVersion: "v1beta",
    body: mapped.body,
    headers: new Headers(),
    signal: request.signal,
    // The same x-gemrelay-resume* headers as on the native path.
    resume: resumeOverrides(request.headers),
    onSummary: (summary) => (continuations = summary.continuations),
  };
  if (identity.mode === "pass-through") call.clientKey = identity.key;
  if (context.config.routing.sticky) {
    const hash = conversationHash(new TextEncoder().encode(JSON.stringify(mapped.body)).buffer as ArrayBuffer);
    if (hash !== null) call.stickyHash = hash;
  }

  const events = await generate(call, context, background);
  const meta = newCompletionMeta(mapped.requestedModel, settings.thinkTags, context.clock());
  if (mapped.stream) {
    return new Response(transformed(events, chatChunkEncoder(meta, mapped.includeUsage), endReporter(request)), {
      headers: streamedAnswerHeaders("text/event-stream; charset=utf-8"),
    });
  }
  const answer = await collectAnswer(events);
  if ("error" in answer) throw answer.error;
  const candidate = answer.response.candidates?.[0];
  if (candidate?.finishReason === undefined && answer.response.promptFeedback?.blockReason === undefined) {
    throw truncatedAnswerError();
  }
  return wholeResponse(request, Response.json(toChatCompletion(answer.response, meta), { headers: { "x-gemrelay-continuations": String(continuations) } }));
}
