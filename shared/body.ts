/**
 * Request bodies, the same way on every surface (Gemini native, OpenAI, admin): read at most
 * MAX_BODY_BYTES, then decoded as JSON with a reason for every way that can fail, so that each
 * surface answers bad input with a clear 400 (or 413) in its own protocol.
 */
import { GemrelayError, PayloadTooLargeError } from "./errors.ts";

/**
 * Deepest nesting accepted in a JSON body. Gemini's protobuf parsing stops at 100 levels too;
 * deeper values would overflow the stack of recursive walks (JSON.stringify, schema mapping).
 */
export const maximumJsonDepth = 100;

/** Reads a byte stream whole, cancelling it and throwing `tooLarge()` as soon as it passes `limit`. */
export async function readAtMost(body: ReadableStream<Uint8Array> | null, limit: number, tooLarge: () => Error): Promise<Uint8Array<ArrayBuffer>> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * The body as bytes, refused with a 413 as soon as it passes `limit` — by Content-Length when the
 * client sent one, else while reading, so an oversized upload is never held in memory whole.
 */
export async function readBoundedBody(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(limit);
  try {
    // A declared length bounds the body already (no runtime delivers more bytes than it declares),
    // and arrayBuffer() skips the body stream, which on Node costs a whole second Request.
    if (Number.isFinite(declared)) return new Uint8Array(await request.arrayBuffer());
    return await readAtMost(request.body, limit, () => new PayloadTooLargeError(limit));
  } catch (error) {
    if (error instanceof GemrelayError) throw error;
    // The client went away, or the server's request timeout cut it off: no fault of gemrelay's.
    throw new GemrelayError("The client closed the request before its body arrived.", 499);
  }
}

/** A JSON body: its value, or what is wrong with it, worded to follow "the request body …". */
export type JsonBody = { value: unknown } | { problem: string };

/** `application/json` from `application/json; charset=utf-8`; empty when there is none. */
function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
}

/**
 * Lenient where Gemini is (no Content-Type, text/plain, any `…json` type), strict where the body
 * is plainly something else: a form or multipart body is not JSON whatever it holds.
 */
function isJsonMediaType(mediaType: string): boolean {
  return mediaType === "" || mediaType === "text/plain" || mediaType.endsWith("/json") || mediaType.endsWith("+json");
}

const quote = 0x22;
const backslash = 0x5c;

/**
 * True when the JSON text in `bytes` opens more than `limit` arrays or objects at once. Scanned on
 * the bytes before JSON.parse ever sees them, so `[[[[…` is refused in one pass without building
 * a million nested arrays; brackets inside strings do not count. The bytes `"`, `\\`, `[`, `{`,
 * `]`, `}` never occur inside a multi-byte UTF-8 sequence, so no decoding is needed, and string
 * bodies (base64 images) are skipped with indexOf at native speed.
 */
export function nestsDeeperThan(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index];
    if (byte === quote) {
      // Find the closing quote: one not preceded by an odd number of backslashes.
      for (;;) {
        index = bytes.indexOf(quote, index + 1);
        if (index === -1) return false;
        let escapes = 0;
        while (bytes[index - 1 - escapes] === backslash) escapes += 1;
        if (escapes % 2 === 0) break;
      }
    } else if (byte === 0x5b || byte === 0x7b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (byte === 0x5d || byte === 0x7d) {
      depth -= 1;
    }
  }
  return false;
}

/** Decodes a body sent with `contentType` as strict UTF-8 JSON of bounded depth. */
export function parseJsonBody(bytes: Uint8Array, contentType: string | null): JsonBody {
  const mediaType = mediaTypeOf(contentType);
  if (!isJsonMediaType(mediaType)) return { problem: `has Content-Type ${mediaType}, which is not JSON: send it as application/json` };
  if (nestsDeeperThan(bytes, maximumJsonDepth)) return { problem: `nests deeper than ${maximumJsonDepth} levels` };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { problem: "is not valid UTF-8" };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Where, not the parser's own text: exception messages never reach a client (it quotes the input).
    const position = error instanceof Error ? /position (\d+)/.exec(error.message)?.[1] : undefined;
    return { problem: position === undefined ? "is not JSON (not valid JSON: a syntax error, or it ends too early)" : `is not JSON (not valid JSON at character ${position})` };
  }
  return { value };
}
