/** Reading an OpenAI request body: bounded in size, JSON, validated by a zod schema. */
import type { z } from "zod";
import { OpenAiRequestError, requestErrorFromZod } from "./errors.ts";

function tooLarge(limit: number): OpenAiRequestError {
  return new OpenAiRequestError(`The request body is larger than gemrelay's limit of ${limit} bytes (OPENAI_MAX_BODY_BYTES).`, null, "request_too_large");
}

/** Reads a byte stream whole, cancelling it and throwing `tooLarge()` as soon as it passes `limit`. */
export async function readAtMost(body: ReadableStream<Uint8Array> | null, limit: number, tooLarge: () => Error): Promise<Uint8Array> {
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
 * The body as bytes, refusing it as soon as it passes `limit` — by Content-Length when the client
 * sent one, else while reading, so an oversized upload is never held in memory whole.
 */
export function readBoundedBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return readAtMost(request.body, limit, () => tooLarge(limit));
}

/** Parses and validates a JSON body, or throws a 400 naming the field at fault. */
export async function readJsonBody<Schema extends z.ZodType>(request: Request, limit: number, schema: Schema): Promise<z.output<Schema>> {
  const bytes = await readBoundedBody(request, limit);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    const detail = error instanceof Error ? ` (${error.message})` : "";
    throw new OpenAiRequestError(`We could not parse the JSON body of your request${detail}. The body must be a JSON object.`, null, "invalid_json");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new OpenAiRequestError("The request body must be a JSON object.", null, "invalid_json");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw requestErrorFromZod(parsed.error);
  return parsed.data;
}
