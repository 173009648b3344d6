/**
 * Answers `generateContent` and `streamGenerateContent` (SSE with `alt=sse`, the incremental JSON
 * array without), applying the request's fault if it has one.
 */
import type { ServerResponse } from "node:http";
import { contentsOf, estimateTokens, maxOutputTokensOf, promptText, thinkingRequestOf } from "./content.ts";
import { googleError, missingFieldError, missingThoughtSignatureError, overloadedError, type HttpAnswer } from "./errors.ts";
import type { EventGate } from "./gate.ts";
import { buildStream, firstCharacters, inStreamOverload, mergeStream, type GenerationInput } from "./generation.ts";
import { isRecord, prettyGoogleJson } from "./json.ts";
import { isTtsModel, outputKindOf, responseModalitiesOf } from "./media.ts";
import { isGemini3, type SimulatedModel } from "./models.ts";
import type { AnswerFunction, Fault, RecordedRequest } from "./types.ts";
import { EventEncoder, sendAnswer, sleep, startResponse, streamContentType, untilAborted, write, type StreamFormat } from "./wire.ts";

/** What answering one generate request needs. */
export interface GenerateContext {
  recorded: RecordedRequest;
  model: SimulatedModel;
  res: ServerResponse;
  /** Aborts when the client goes away or the simulator closes. */
  signal: AbortSignal;
  fault: Fault | null;
  chunkChars: number;
  intervalMs: number;
  answer: AnswerFunction;
  thoughts: AnswerFunction;
  /** Holds each event until released (see gate.ts). */
  gate?: EventGate | null;
}

/** A 400 for a request Gemini would reject before generating, or null. */
export function validateGenerateRequest(recorded: RecordedRequest): HttpAnswer | null {
  const contents = contentsOf(recorded.body);
  if (contents.length === 0) return missingFieldError("GenerateContentRequest", "contents");
  if (recorded.model !== null && isTtsModel(recorded.model) && !responseModalitiesOf(recorded.body).includes("AUDIO")) {
    const asked = responseModalitiesOf(recorded.body);
    return googleError(400, `The requested combination of response modalities (${asked.length > 0 ? asked.join(", ") : "TEXT"}) is not supported by the model. models/${recorded.model} accepts the following combination of response modalities:\n* AUDIO\n`);
  }
  if (recorded.model !== null && isGemini3(recorded.model)) return missingSignatureCheck(recorded);
  return null;
}

/**
 * Gemini 3 requires the thoughtSignature of the first functionCall part of each model step in the
 * current turn (the model turns after the last user text) — REFERENCE §1.
 */
function missingSignatureCheck(recorded: RecordedRequest): HttpAnswer | null {
  const contents = contentsOf(recorded.body);
  let turnStart = 0;
  contents.forEach((content, index) => {
    if (content.role !== "model" && content.parts.some((part) => typeof part.text === "string")) turnStart = index + 1;
  });
  for (let index = turnStart; index < contents.length; index++) {
    const content = contents[index];
    if (!content || content.role !== "model") continue;
    const call = content.parts.find((part) => isRecord(part.functionCall));
    if (call && typeof call.thoughtSignature !== "string") {
      const name = isRecord(call.functionCall) && typeof call.functionCall.name === "string" ? call.functionCall.name : "unknown";
      return missingThoughtSignatureError(name, index);
    }
  }
  return null;
}

/** Whether the model thinks for this request (thinkingBudget 0 turns it off where allowed). */
function thinks(model: SimulatedModel, budget: number | null): boolean {
  if (!model.thinking) return false;
  if (budget === 0) return !model.thinking.canDisable;
  if (budget !== null) return true;
  return model.thinking.byDefault;
}

function generationInput(context: GenerateContext): GenerationInput {
  const { recorded, model } = context;
  const thinking = thinkingRequestOf(recorded.body);
  const thoughts = thinks(model, thinking.budget) ? context.thoughts(recorded) : "";
  const cachedTokens = context.fault?.cachedTokens ?? 0;
  return {
    model: model.id,
    answer: context.fault?.text ?? context.answer(recorded),
    thoughts,
    includeThoughts: thinking.includeThoughts && thoughts.length > 0,
    promptTokens: Math.max(1, estimateTokens(promptText(recorded.body))) + cachedTokens,
    cachedTokens,
    chunkChars: context.chunkChars,
    maxOutputTokens: maxOutputTokensOf(recorded.body),
    fault: context.fault,
    output: outputKindOf(model.id, recorded.body),
  };
}

/** Answers the request; resolves once the response is finished, dropped or aborted. */
export async function answerGenerate(context: GenerateContext): Promise<void> {
  const input = generationInput(context);
  if (context.recorded.action === "streamGenerateContent") {
    const format: StreamFormat = context.recorded.query.alt === "sse" ? "sse" : "json-array";
    await streamAnswer(context, input, format);
  } else {
    await completeAnswer(context, input);
  }
}

async function streamAnswer(context: GenerateContext, input: GenerationInput, format: StreamFormat): Promise<void> {
  const { res, signal, fault } = context;
  const script = buildStream(input);
  const encoder = new EventEncoder(format);
  const intervalMs = fault?.intervalMs ?? context.intervalMs;
  startResponse(res, context.recorded, 200, streamContentType(format));
  if (fault?.kind === "first-byte-delay" && fault.afterHeaders === true && !(await sleep(fault.ms, signal))) return;
  for (const [index, event] of script.events.entries()) {
    if (index > 0 && !(await sleep(intervalMs, signal))) return;
    if (index > 0 && script.pause?.afterEvent === index && !(await sleep(script.pause.ms, signal))) return;
    if (context.gate && !(await context.gate.pass(signal))) return;
    if (!(await write(res, encoder.event(event), signal))) return;
    context.gate?.record(event);
  }
  await finish(res, signal, script.ending, encoder.end());
}

/** Ends a response the way the script says. */
async function finish(res: ServerResponse, signal: AbortSignal, ending: "end" | "reset" | "stall", closing: string): Promise<void> {
  if (ending === "end") {
    res.end(closing);
    return;
  }
  if (ending === "stall") await untilAborted(signal);
  // Let what was written reach the client before the connection goes.
  await new Promise<void>((resolve) => (res.writableLength === 0 ? resolve() : res.write("", () => resolve())));
  // destroy() rather than a TCP RST: an RST may discard data the client has not read yet,
  // which would make "text up to the cut" nondeterministic. The client still sees the body
  // end without its chunked terminator ("terminated: other side closed").
  res.destroy();
}

async function completeAnswer(context: GenerateContext, input: GenerationInput): Promise<void> {
  const { res, recorded, fault, signal } = context;
  if (fault?.kind === "error-in-stream") {
    // A non-streamed request cannot fail mid-body: Gemini answers with the error instead.
    sendAnswer(res, recorded, errorAnswerFrom(fault.error) ?? overloadedError());
    return;
  }
  if (fault?.kind === "cut") {
    const whole = mergeStream(buildStream({ ...input, fault: null }).events);
    const text = `${prettyGoogleJson(whole)}\n`;
    startResponse(res, recorded, 200, "application/json; charset=UTF-8");
    await write(res, text.slice(0, cutOffset(text, input.answer, fault.afterChars)), signal);
    await finish(res, signal, fault.mode === "close" ? "end" : fault.mode, "");
    return;
  }
  sendAnswer(res, recorded, { status: 200, body: mergeStream(buildStream(input).events) });
}

/** Where in the serialized body the answer text reaches `afterChars` characters. */
function cutOffset(body: string, answer: string, afterChars: number): number {
  const encoded = JSON.stringify(answer);
  const start = body.lastIndexOf(encoded);
  if (start < 0) return Math.floor(body.length / 2);
  const prefix = JSON.stringify(firstCharacters(answer, afterChars));
  return start + prefix.length - 1;
}

/** An error object given in a fault as an HTTP answer, using its `error.code` as status. */
function errorAnswerFrom(error: unknown): HttpAnswer | null {
  const body = error ?? inStreamOverload;
  if (isRecord(body) && isRecord(body.error) && typeof body.error.code === "number") return { status: body.error.code, body };
  return error === undefined ? null : googleError(500, "An internal error has occurred.");
}
