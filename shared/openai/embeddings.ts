/**
 * `POST /v1/embeddings` (https://platform.openai.com/docs/api-reference/embeddings) on Gemini's
 * `embedContent` (one string) and `batchEmbedContents` (a list, 100 per upstream call, Gemini's
 * batch limit). `dimensions` → `outputDimensionality`; truncated Gemini vectors are not unit
 * length while OpenAI's always are (clients take the dot product as cosine), so they are
 * normalised. `encoding_format: "base64"` is little-endian float32, which the openai SDK asks
 * for by default and decodes itself.
 */
import { z } from "zod";
import type { AppContext } from "../app.ts";
import type { ClientIdentity } from "../auth.ts";
import { GemrelayError } from "../errors.ts";
import type { Background } from "../routing/pool-view.ts";
import { float32ToBase64 } from "./base64.ts";
import { readJsonBody } from "./body.ts";
import { OpenAiRequestError } from "./errors.ts";
import { resolveModel } from "./request.ts";
import { admitModel } from "../policy/model-requests.ts";
import { requiredOr } from "./schema.ts";
import { upstreamJson } from "./upstream.ts";

const text = z.string().min(1, "must not be an empty string");

/** The embeddings request. */
export const embeddingsRequestSchema = z.looseObject({
  model: z.string({ error: requiredOr("model is required: a Gemini embedding model id (or an alias)") }).min(1, "model must not be empty"),
  input: z.union([text, z.array(text).min(1, "must hold at least one string").max(2_048), z.array(z.number()), z.array(z.array(z.number()))], {
    error: requiredOr("input is required: a string or an array of strings"),
  }),
  dimensions: z.number().int().positive().nullish(),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  user: z.string().nullish(),
});

const vectorSchema = z.looseObject({ values: z.array(z.number()) });
const singleSchema = z.looseObject({ embedding: vectorSchema });
const batchSchema = z.looseObject({ embeddings: z.array(vectorSchema) });

/** Gemini's batch limit per batchEmbedContents call. */
const batchSize = 100;

function normalised(values: number[]): number[] {
  const norm = Math.sqrt(values.reduce((sum, value) => sum + value * value, 0));
  return norm > 0 ? values.map((value) => value / norm) : values;
}

function vectors<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new GemrelayError("Gemini's embedding answer has an unexpected shape.", 502);
  return result.data;
}

/** Answers one embeddings request. */
export async function handleEmbeddings(request: Request, identity: ClientIdentity, context: AppContext, background: Background): Promise<Response> {
  const body = await readJsonBody(request, context.config.maxBodyBytes, embeddingsRequestSchema);
  const inputs = typeof body.input === "string" ? [body.input] : body.input;
  if (!inputs.every((input): input is string => typeof input === "string")) {
    throw new OpenAiRequestError("'input' as token arrays is not supported by Gemini embeddings; send the text.", "input", "unsupported_value");
  }
  // The model policy as on every path: a disabled model is a 404, a policy alias is resolved.
  const model = admitModel(await context.policies.models.current(), resolveModel(body.model, context.config.openai));
  const dimensions = body.dimensions ?? undefined;
  const embedRequest = (input: string) => ({
    model: `models/${model}`,
    content: { parts: [{ text: input }] },
    ...(dimensions !== undefined ? { outputDimensionality: dimensions } : {}),
  });
  const path = `/v1beta/models/${encodeURIComponent(model)}`;
  const call = { method: "POST", model, ...(request.signal ? { signal: request.signal } : {}) };

  const embeddings: number[][] = [];
  if (typeof body.input === "string") {
    const answer = vectors(singleSchema, await upstreamJson({ ...call, pathAndQuery: `${path}:embedContent`, body: embedRequest(body.input) }, identity, context, background));
    embeddings.push(answer.embedding.values);
  } else {
    for (let start = 0; start < inputs.length; start += batchSize) {
      const requests = inputs.slice(start, start + batchSize).map(embedRequest);
      const answer = vectors(batchSchema, await upstreamJson({ ...call, pathAndQuery: `${path}:batchEmbedContents`, body: { requests } }, identity, context, background));
      embeddings.push(...answer.embeddings.map((embedding) => embedding.values));
    }
  }
  const base64 = body.encoding_format === "base64";
  return Response.json({
    object: "list",
    data: embeddings.map((values, index) => {
      const vector = dimensions !== undefined ? normalised(values) : values;
      return { object: "embedding", index, embedding: base64 ? float32ToBase64(vector) : vector };
    }),
    model: body.model,
    // Gemini's embedding answers carry no token counts.
    usage: { prompt_tokens: 0, total_tokens: 0 },
  });
}
