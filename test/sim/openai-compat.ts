/**
 * Minimal answers of Gemini's OpenAI-compatible endpoint (`/v1beta/openai/`), shaped like the
 * captures in test/fixtures/gemini-wire/openai_compat_*.sse: `Echo: <last user text>`, the role
 * repeated on every streamed chunk, usage on the last chunk when asked, then `data: [DONE]`.
 * Errors come as Google's error object wrapped in an array, as that endpoint sends them.
 */
import type { ServerResponse } from "node:http";
import { googleError, type HttpAnswer } from "./errors.ts";
import { splitText } from "./generation.ts";
import { isRecord } from "./json.ts";
import { models } from "./models.ts";
import type { RecordedRequest } from "./types.ts";
import { sendAnswer, sleep, startResponse, write } from "./wire.ts";

/** The error answer in the array-wrapped form of the compatible endpoint. */
export function compatError(answer: HttpAnswer): HttpAnswer {
  return { ...answer, body: [answer.body] };
}

function lastUserText(body: unknown): string {
  const messages = isRecord(body) && Array.isArray(body.messages) ? body.messages.filter(isRecord) : [];
  const user = messages.filter((message) => message.role === "user").at(-1);
  if (!user) return "";
  if (typeof user.content === "string") return user.content;
  if (!Array.isArray(user.content)) return "";
  return user.content.map((part) => (isRecord(part) && typeof part.text === "string" ? part.text : "")).join("");
}

/** Answers one request under `/v1beta/openai/`. */
export async function answerOpenAiCompat(recorded: RecordedRequest, res: ServerResponse, signal: AbortSignal, chunkChars: number): Promise<void> {
  if (recorded.method === "GET" && recorded.path === "/v1beta/openai/models") {
    const data = models.map((model) => ({ id: `models/${model.id}`, object: "model", owned_by: "google" }));
    return sendAnswer(res, recorded, { status: 200, body: { object: "list", data } });
  }
  if (recorded.method !== "POST" || recorded.path !== "/v1beta/openai/chat/completions") {
    return sendAnswer(res, recorded, compatError(googleError(404, `Not found: ${recorded.path}`)));
  }
  const body = isRecord(recorded.body) ? recorded.body : {};
  const model = typeof body.model === "string" ? body.model : "";
  const text = `Echo: ${lastUserText(body)}`;
  const usage = { completion_tokens: Math.ceil(text.length / 4), prompt_tokens: 5, total_tokens: 5 + Math.ceil(text.length / 4) };
  const base = { created: Math.floor(Date.now() / 1_000), id: `compat-${recorded.id}`, model };
  if (body.stream !== true) {
    const message = { content: text, role: "assistant" };
    return sendAnswer(res, recorded, { status: 200, body: { ...base, choices: [{ finish_reason: "stop", index: 0, message }], object: "chat.completion", usage } });
  }
  const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
  startResponse(res, recorded, 200, "text/event-stream");
  const pieces = splitText(text, chunkChars);
  for (const [index, piece] of pieces.entries()) {
    const last = index === pieces.length - 1;
    const choice: Record<string, unknown> = { delta: { content: piece, role: "assistant" }, index: 0 };
    if (last) choice.finish_reason = "stop";
    const chunk = { ...base, choices: [choice], object: "chat.completion.chunk", ...(last && includeUsage ? { usage } : {}) };
    if (!(await write(res, `data: ${JSON.stringify(chunk)}\n\n`, signal))) return;
    if (!(await sleep(0, signal))) return;
  }
  res.end("data: [DONE]\n\n");
}
