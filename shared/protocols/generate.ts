/**
 * The one generate path of every protocol adapter (adapter.ts): builds the protocol-free
 * GenerateCall (resume overrides, sticky routing, pass-through key), calls the seam
 * (resume/generate.ts) and writes the events with the adapter's writer — streamed, or assembled
 * and refused when the answer never ended.
 */
import { collectAnswer } from "../gemini/encode.ts";
import { GemrelayError } from "../errors.ts";
import { resumeOverrides } from "../resume/config.ts";
import { generate, type GenerateCall } from "../resume/generate.ts";
import { conversationHash } from "../routing/sticky.ts";
import { streamedAnswerHeaders, transformed } from "../streams.ts";
import { endReporter, wholeResponse } from "../usage/trace.ts";
import type { AnswerWriter, MappedGenerate, ProtocolRequest } from "./adapter.ts";

/** Non-streaming answers: how many continuations were stitched into the answer (as on the native path). */
const continuationsHeader = "x-gemrelay-continuations";

/** An answer that ended with no finish reason and no block: never passed off as complete. */
export function truncatedAnswerError(): GemrelayError {
  return new GemrelayError("The Gemini answer ended without a finish reason (truncated) and could not be completed.", 502);
}

/** The protocol-free call for `mapped`, with what the client request says about resume and routing. */
export function generateCallOf(input: ProtocolRequest, mapped: MappedGenerate, onContinuations: (count: number) => void): GenerateCall {
  const { request, identity, context } = input;
  const call: GenerateCall = {
    requestId: crypto.randomUUID(),
    model: mapped.model,
    apiVersion: "v1beta",
    body: mapped.body,
    headers: new Headers(),
    signal: request.signal,
    // The same x-gemrelay-resume* headers as on the native path.
    resume: resumeOverrides(request.headers),
    onSummary: (summary) => onContinuations(summary.continuations),
  };
  if (identity.mode === "pass-through") call.clientKey = identity.key;
  if (context.config.routing.sticky) {
    const hash = conversationHash(new TextEncoder().encode(JSON.stringify(mapped.body)).buffer as ArrayBuffer);
    if (hash !== null) call.stickyHash = hash;
  }
  return call;
}

/**
 * Answers a mapped generate request in the adapter's protocol. Throws a GemrelayError before
 * anything is sent (the route writes it in the protocol's error shape); after a stream started,
 * the writer reports failures in-band.
 */
export async function answerGenerate(input: ProtocolRequest, mapped: MappedGenerate, writer: AnswerWriter): Promise<Response> {
  let continuations = 0;
  const call = generateCallOf(input, mapped, (count) => (continuations = count));
  const events = await generate(call, input.context, input.background);
  if (mapped.stream) {
    return new Response(transformed(events, writer.stream(), endReporter(input.request)), {
      headers: streamedAnswerHeaders("text/event-stream; charset=utf-8"),
    });
  }
  const answer = await collectAnswer(events);
  if ("error" in answer) throw answer.error;
  const candidate = answer.response.candidates?.[0];
  if (candidate?.finishReason === undefined && answer.response.promptFeedback?.blockReason === undefined) throw truncatedAnswerError();
  return wholeResponse(input.request, Response.json(writer.whole(answer.response), { headers: { [continuationsHeader]: String(continuations) } }));
}
