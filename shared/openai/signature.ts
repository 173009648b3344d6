/**
 * Gemini 3 thought signatures through OpenAI clients. A signature rides on a `functionCall` part
 * and must come back verbatim on that part, or Gemini 3 answers 400 (REFERENCE.md §1). OpenAI
 * clients keep two things of a tool call when they replay it: always its `id` (they need it to
 * match the tool result), and often the whole object, extra fields included. So the signature
 * goes in both: `extra_content.google.thought_signature`, as Google's own compatibility layer
 * sends it, and inside the id, for clients that rebuild tool calls from id, name and arguments.
 */

/** Between the random part of a tool call id and the encoded signature. */
const separator = "__thought__";

/** Standard base64 with padding: the only form whose id encoding reverses to the same text. */
const standardBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A random `call_…` id like OpenAI's (24 letters and digits). */
export function newToolCallId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  let id = "call_";
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return id;
}

/** A tool call id that carries `signature` when it can be carried losslessly. */
export function toolCallIdWithSignature(signature: string | undefined): string {
  const id = newToolCallId();
  if (signature === undefined || signature.length === 0 || !standardBase64.test(signature)) return id;
  return `${id}${separator}${signature.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

/** The signature encoded in a tool call id by {@link toolCallIdWithSignature}, if any. */
export function signatureFromToolCallId(id: string): string | undefined {
  const at = id.indexOf(separator);
  if (at < 0) return undefined;
  const encoded = id.slice(at + separator.length);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
  const base64 = encoded.replace(/-/g, "+").replace(/_/g, "/");
  return base64 + "=".repeat((4 - (base64.length % 4)) % 4);
}
