/**
 * Every Gemini client library the README's client table names, driven the way their users do:
 * one streamed prompt, the text it hands back, and whether it raised. Used against the built
 * bundles by test/clients/*.test.ts.
 */
import { GoogleGenAI } from "@google/genai";
import { GoogleGenerativeAI } from "@google/generative-ai";
import { ChatGoogleGenerativeAI } from "@langchain/google-genai";
import { createGoogleGenerativeAI } from "@ai-sdk/google";
import { streamText } from "ai";

/** What a client gave its caller: the streamed text, and the message of what it raised (if it did). */
export interface ClientOutcome {
  text: string;
  chunks: number;
  error?: string;
}

/** Streams `prompt` from `model` at gemrelay's `url` with `key`. */
export type StreamingClient = (url: string, key: string, model: string, prompt: string) => Promise<ClientOutcome>;

function failed(text: string, chunks: number, error: unknown): ClientOutcome {
  return { text, chunks, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}

/** The legacy `@google/generative-ai` SDK: `generateContentStream`, the chunks' `text()`, then the aggregated `response`. */
export const legacySdk: StreamingClient = async (url, key, model, prompt) => {
  const generative = new GoogleGenerativeAI(key).getGenerativeModel({ model }, { baseUrl: url });
  let text = "";
  let chunks = 0;
  try {
    const result = await generative.generateContentStream(prompt);
    // Both the chunk stream and the aggregated response are read, as users do; a failure of one shows in the other.
    const aggregated = result.response.then(
      (response) => ({ ok: true as const, response }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    for await (const chunk of result.stream) {
      text += chunk.text();
      chunks += 1;
    }
    const whole = await aggregated;
    if (!whole.ok) throw whole.error;
    if (whole.response.text() !== text) throw new Error(`aggregated text differs: ${JSON.stringify(whole.response.text())}`);
    return { text, chunks };
  } catch (error) {
    return failed(text, chunks, error);
  }
};

/** LangChain's `ChatGoogleGenerativeAI` (on the legacy SDK): `.stream()`, no retries. */
export const langChain: StreamingClient = async (url, key, model, prompt) => {
  const chat = new ChatGoogleGenerativeAI({ model, apiKey: key, baseUrl: url, maxRetries: 0 });
  let text = "";
  let chunks = 0;
  try {
    for await (const chunk of await chat.stream(prompt)) {
      text += typeof chunk.content === "string" ? chunk.content : chunk.text;
      chunks += 1;
    }
    return { text, chunks };
  } catch (error) {
    return failed(text, chunks, error);
  }
};

/** `@google/genai`: `models.generateContentStream`, the chunks' `text`. */
export const googleGenAi: StreamingClient = async (url, key, model, prompt) => {
  const ai = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: url, retryOptions: { attempts: 1 } } });
  let text = "";
  let chunks = 0;
  try {
    for await (const chunk of await ai.models.generateContentStream({ model, contents: prompt })) {
      text += chunk.text ?? "";
      chunks += 1;
    }
    return { text, chunks };
  } catch (error) {
    return failed(text, chunks, error);
  }
};

/** The Vercel AI SDK with `@ai-sdk/google`: `streamText`, its `fullStream` (text deltas; an error part is what it raises). */
export const aiSdk: StreamingClient = async (url, key, model, prompt) => {
  const google = createGoogleGenerativeAI({ apiKey: key, baseURL: `${url}/v1beta` });
  let text = "";
  let chunks = 0;
  try {
    const result = streamText({ model: google(model), prompt, maxRetries: 0, onError: () => undefined });
    for await (const part of result.fullStream) {
      if (part.type === "text-delta") {
        text += part.text;
        chunks += 1;
      } else if (part.type === "error") throw part.error;
    }
    const finish = await result.finishReason;
    if (finish !== "stop") throw new Error(`finishReason ${finish}`);
    return { text, chunks };
  } catch (error) {
    return failed(text, chunks, error);
  }
};

/** Every streaming client by name, for `describe.each` / loops. */
export const streamingClients: [string, StreamingClient][] = [
  ["@google/generative-ai", legacySdk],
  ["LangChain ChatGoogleGenerativeAI", langChain],
  ["@google/genai", googleGenAi],
  ["@ai-sdk/google", aiSdk],
];
