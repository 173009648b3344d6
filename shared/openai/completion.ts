/**
 * What the non-streamed and the streamed answer share: the completion's identity, tool calls
 * built from Gemini's functionCall parts, and `<think>` wrapping.
 */
import type { Part } from "../gemini/types.ts";
import { toolCallIdWithSignature } from "./signature.ts";

/** Identity of one completion, the same on every chunk of a stream. */
export interface CompletionMeta {
  /** `chatcmpl-…` */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The model name as the client sent it. */
  model: string;
  /** Also put thoughts into `content` inside `<think>…</think>`. */
  thinkTags: boolean;
}

/** A fresh identity for a completion. */
export function newCompletionMeta(model: string, thinkTags: boolean, now: number): CompletionMeta {
  return { id: `chatcmpl-${crypto.randomUUID().replace(/-/g, "")}`, created: Math.floor(now / 1_000), model, thinkTags };
}

/** A tool call in OpenAI's shape; Gemini's thought signature rides along (see signature.ts). */
export interface OpenAiToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  extra_content?: { google: { thought_signature: string } };
}

/** The tool call for a functionCall part, or null when the part is something else. */
export function toolCallOf(part: Part): OpenAiToolCall | null {
  if (!part.functionCall) return null;
  const signature = part.thoughtSignature;
  const call: OpenAiToolCall = {
    id: toolCallIdWithSignature(signature),
    type: "function",
    function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
  };
  if (signature) call.extra_content = { google: { thought_signature: signature } };
  return call;
}

/** Opening and closing of the thought block in `content` when think tags are on. */
export const thinkOpen = "<think>\n";
export const thinkClose = "\n</think>\n\n";
