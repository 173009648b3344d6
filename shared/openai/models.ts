/**
 * `GET /v1/models` and `GET /v1/models/{id}` in OpenAI's shape, from Gemini's model list, plus
 * the aliases of OPENAI_MODEL_ALIASES (https://platform.openai.com/docs/api-reference/models).
 */
import { z } from "zod";
import type { AppContext } from "../app.ts";
import type { ClientIdentity } from "../auth.ts";
import { GemrelayError } from "../errors.ts";
import type { Background } from "../routing/pool-view.ts";
import { resolveModel } from "./request.ts";
import { upstreamJson } from "./upstream.ts";
import { isDisabled } from "../policy/model-policy.ts";
import { admitModel } from "../policy/model-requests.ts";

/** OpenAI's model object. */
export interface OpenAiModel {
  id: string;
  object: "model";
  /** Gemini publishes no creation date; 0 keeps the field numeric as clients expect. */
  created: number;
  owned_by: string;
}

const modelSchema = z.looseObject({ name: z.string() });
const pageSchema = z.looseObject({ models: z.array(modelSchema).optional(), nextPageToken: z.string().optional() });

/** Enough pages for any catalogue Gemini has published (about 50 models), without looping forever. */
const maxPages = 10;

function model(id: string, owner: string): OpenAiModel {
  return { id, object: "model", created: 0, owned_by: owner };
}

function parsed<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new GemrelayError("Gemini's model list has an unexpected shape.", 502);
  return result.data;
}

/** Every model id the upstream lists (all pages); cached for pool-mode clients. */
async function upstreamModelIds(identity: ClientIdentity, context: AppContext, background: Background, signal?: AbortSignal): Promise<string[]> {
  const ids: string[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const query = new URLSearchParams({ pageSize: "1000" });
    if (pageToken) query.set("pageToken", pageToken);
    const body = parsed(pageSchema, await upstreamJson({ method: "GET", pathAndQuery: `/v1beta/models?${query}`, model: "*", ...(signal ? { signal } : {}) }, identity, context, background));
    for (const entry of body.models ?? []) ids.push(entry.name.replace(/^models\//, ""));
    pageToken = body.nextPageToken;
    if (!pageToken) break;
  }
  if (identity.mode === "pool") context.modelLists.openai.set("all", ids);
  return ids;
}

/** The model list: every upstream model, then the aliases. */
export async function listModels(identity: ClientIdentity, context: AppContext, background: Background, signal?: AbortSignal): Promise<Response> {
  const ids = (identity.mode === "pool" ? context.modelLists.openai.get("all") : undefined) ?? (await upstreamModelIds(identity, context, background, signal));
  const data: OpenAiModel[] = ids.map((id) => model(id, "google"));
  const policy = await context.policies.models.current();
  const visible = data.filter((entry) => !isDisabled(policy, entry.id));
  const known = new Set(visible.map((entry) => entry.id));
  const aliases = [...context.config.openai.modelAliases.keys(), ...Object.keys(policy.aliases)];
  for (const alias of aliases) {
    if (known.has(alias) || isDisabled(policy, alias)) continue;
    known.add(alias);
    visible.push(model(alias, "gemrelay"));
  }
  return Response.json({ object: "list", data: visible });
}

/** One model; an unknown one is Gemini's 404, passed on in OpenAI's shape. */
export async function retrieveModel(id: string, identity: ClientIdentity, context: AppContext, background: Background, signal?: AbortSignal): Promise<Response> {
  const policy = await context.policies.models.current();
  const target = admitModel(policy, resolveModel(id, context.config.openai));
  const call = { method: "GET", pathAndQuery: `/v1beta/models/${encodeURIComponent(target)}`, model: target, ...(signal ? { signal } : {}) };
  parsed(modelSchema, await upstreamJson(call, identity, context, background));
  const aliased = context.config.openai.modelAliases.has(id) || policy.aliases[id] !== undefined;
  return Response.json(model(id, aliased ? "gemrelay" : "google"));
}
