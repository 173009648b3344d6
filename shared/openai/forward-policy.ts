/**
 * The model policy on `/v1beta/openai/*`, Gemini's own OpenAI-compatible endpoint, which gemrelay
 * forwards rather than translates: the same rules as `/v1/chat/completions` (OPENAI_MODEL_ALIASES,
 * disabled models, policy aliases, thinking defaults, injected instructions), applied to the JSON
 * body before it is forwarded. The access key's model list and the budgets then apply to the model
 * this returns, in the scheduler, as on every other path. A body that cannot be read, or a model
 * that is missing where the endpoint needs one, is refused: never forwarded as "no model".
 */
import { parseJsonBody } from "../body.ts";
import { decodedSegment } from "../gemini/paths.ts";
import type { ModelPolicy } from "../policy/model-policy.ts";
import { admitModel, defaultsFor, instructionsFor } from "../policy/model-requests.ts";
import type { OpenAiConfig } from "./config.ts";
import { OpenAiRequestError } from "./errors.ts";
import { resolveModel } from "./request.ts";

/** Endpoints (after `/v1beta/openai/`) whose request body names the model it runs on. */
const modelEndpoints: ReadonlySet<string> = new Set([
  "chat/completions",
  "completions",
  "embeddings",
  "images/generations",
  "images/edits",
  "audio/speech",
  "responses",
]);

/** One forwarded request as the policy wants it sent. */
export interface ForwardPlan {
  /** Upstream path from the version segment on (`/v1beta/openai/models/{target}` once an alias is resolved). */
  path: string;
  /** The upstream model it is charged to (allow-lists, budgets, cooldowns); `*` when the endpoint names none. */
  model: string;
  /** The body to send: the client's bytes untouched unless the policy changed something. */
  body: Uint8Array | null;
}

/** What the policy needs to know about the request. */
export interface ForwardRequest {
  /** From the version segment on, e.g. `/v1beta/openai/chat/completions`. */
  path: string;
  method: string;
  body: Uint8Array | null;
  contentType: string | null;
  /** Access key id the request is charged to (instructions can be per key). */
  accessKey: string;
}

const prefix = "/v1beta/openai/";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The client's model name → the upstream model, or the 400/404 (OpenAI aliases, then the model policy). */
function admitted(name: string, policy: ModelPolicy, openai: OpenAiConfig): string {
  return admitModel(policy, resolveModel(name, openai));
}

/** A chat body with the policy's thinking defaults (where the request chose none) and instructions. */
function chatWithPolicy(body: Record<string, unknown>, policy: ModelPolicy, requested: string, target: string, accessKey: string): Record<string, unknown> {
  const next: Record<string, unknown> = { ...body, model: target };
  const defaults = defaultsFor(policy, requested, target);
  const extra = isRecord(body.extra_body) ? body.extra_body : {};
  const google = isRecord(extra.google) ? extra.google : {};
  const wantsThinking = defaults.thinking !== undefined || defaults.thinkingLevel !== undefined || defaults.includeThoughts !== undefined;
  // Gemini refuses reasoning_effort together with thinking_config: a request that set either keeps its choice.
  if (wantsThinking && body.reasoning_effort === undefined && google.thinking_config === undefined) {
    const thinking: Record<string, unknown> = {};
    if (defaults.thinkingLevel !== undefined) thinking.thinking_level = defaults.thinkingLevel;
    else if (defaults.thinking !== undefined) thinking.thinking_budget = defaults.thinking === "off" ? 0 : defaults.thinking === "auto" ? -1 : defaults.thinking;
    if (defaults.includeThoughts !== undefined) thinking.include_thoughts = defaults.includeThoughts;
    next.extra_body = { ...extra, google: { ...google, thinking_config: thinking } };
  }
  const instructions = instructionsFor(policy, requested, target, accessKey);
  if (instructions.before.length > 0 || instructions.after.length > 0) {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    // Appended instructions go after the leading system turns, before the conversation.
    let leading = 0;
    while (leading < messages.length && isRecord(messages[leading]) && ["system", "developer"].includes(String((messages[leading] as Record<string, unknown>).role))) leading++;
    const system = (text: string) => ({ role: "system", content: text });
    next.messages = [...instructions.before.map(system), ...messages.slice(0, leading), ...instructions.after.map(system), ...messages.slice(leading)];
  }
  return next;
}

/**
 * Applies the model policy to one request under `/v1beta/openai/`. Throws an OpenAI-shaped 400
 * for a body or model that cannot be read where the endpoint needs one, the 404 for a disabled model.
 */
export function forwardPlan(request: ForwardRequest, policy: ModelPolicy, openai: OpenAiConfig): ForwardPlan {
  const endpoint = request.path.startsWith(prefix) ? request.path.slice(prefix.length) : "";
  const modelResource = /^models\/([^/]+)$/.exec(endpoint);
  if (modelResource?.[1] !== undefined) {
    // GET models/{id}: the id is the model.
    const name = decodedSegment(modelResource[1]);
    const target = admitted(name, policy, openai);
    return { path: `${prefix}models/${encodeURIComponent(target)}`, model: target, body: request.body };
  }
  const needsModel = request.method === "POST" && modelEndpoints.has(endpoint);
  const bytes = request.body;
  if (bytes === null || bytes.byteLength === 0) {
    if (needsModel) throw new OpenAiRequestError("The request body must be a JSON object naming the model.", "model", "missing_required_parameter");
    return { path: request.path, model: "*", body: bytes };
  }
  const parsed = parseJsonBody(bytes, request.contentType);
  if ("problem" in parsed) {
    if (needsModel) throw new OpenAiRequestError(`We could not parse the JSON body of your request: it ${parsed.problem}.`, null, "invalid_json");
    // Not JSON (a file upload) on an endpoint that names no model: nothing for the policy to read.
    return { path: request.path, model: "*", body: bytes };
  }
  const value = parsed.value;
  if (!isRecord(value) || value.model === undefined) {
    if (needsModel) throw new OpenAiRequestError("you must provide a model parameter", "model", "missing_required_parameter");
    return { path: request.path, model: "*", body: bytes };
  }
  if (typeof value.model !== "string") throw new OpenAiRequestError("Invalid type for 'model': expected a string.", "model", "invalid_type");
  const target = admitted(value.model, policy, openai);
  const changed = endpoint === "chat/completions" ? chatWithPolicy(value, policy, value.model, target, request.accessKey) : { ...value, model: target };
  // Untouched bytes when nothing changed: the client's body reaches Gemini exactly as sent.
  const same = target === value.model && JSON.stringify(changed) === JSON.stringify(value);
  return { path: request.path, model: target, body: same ? bytes : new TextEncoder().encode(JSON.stringify(changed)) };
}
