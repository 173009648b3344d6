/**
 * Native requests whose body names the model instead of the path: creating or updating a context
 * cache (`POST /v1beta/cachedContents`, `PATCH …/cachedContents/{id}` with `"model": "models/x"`).
 * The model policy applies to that model as to a path's: a disabled model is refused, an alias is
 * resolved, and the scheduler charges the call to it (allow-lists, budgets, cooldowns).
 */
import { parseJsonBody } from "../body.ts";
import { BadRequestError } from "../errors.ts";
import { modelNameProblem } from "../gemini/paths.ts";
import type { ModelPolicy } from "./model-policy.ts";
import { admitModel } from "./model-requests.ts";

const bodyModelPaths = /^\/[^/]+\/cachedContents(?:\/[^/:]+)?$/;

/** The upstream model and body of such a request; null when the request is not one or names no model. */
export function admitBodyModel(path: string, method: string, body: ArrayBuffer, contentType: string | null, policy: ModelPolicy): { model: string; body: ArrayBuffer } | null {
  if ((method !== "POST" && method !== "PATCH") || !bodyModelPaths.test(path)) return null;
  const json = parseJsonBody(new Uint8Array(body), contentType);
  if ("problem" in json) throw new BadRequestError(`Invalid JSON payload received: the request body ${json.problem}.`);
  const value = json.value;
  if (typeof value !== "object" || value === null || Array.isArray(value) || !("model" in value)) return null;
  const named = (value as { model: unknown }).model;
  if (typeof named !== "string") throw new BadRequestError("Invalid request body at model: expected a string such as models/gemini-2.5-flash.");
  const bare = named.replace(/^models\//, "");
  const problem = modelNameProblem(bare);
  if (problem !== null) throw new BadRequestError(problem);
  const target = admitModel(policy, bare);
  if (target === bare) return { model: target, body };
  const rewritten = new TextEncoder().encode(JSON.stringify({ ...value, model: `models/${target}` }));
  return { model: target, body: rewritten.buffer as ArrayBuffer };
}
