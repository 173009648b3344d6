/**
 * Applies the model policy to one generate request, in one place both protocols pass through
 * (the generate seam): refuse disabled models, resolve aliases, fill defaults, inject system
 * instructions.
 */
import { GemrelayError } from "../errors.ts";
import type { Content, GenerateContentRequest } from "../gemini/types.ts";
import { isDisabled, resolveAlias, type ModelDefaults, type ModelPolicy } from "./model-policy.ts";

/** The 404 for a disabled model, in the caller's protocol once mapped (Gemini's NOT_FOUND or OpenAI's model_not_found). */
export function disabledModelError(model: string): GemrelayError {
  return new GemrelayError(`The model ${model} is disabled by this relay's model policy. List the available models with GET /v1beta/models or /v1/models.`, 404);
}

/** Throws the 404 when `model` is disabled; otherwise the upstream model it names. */
export function admitModel(policy: ModelPolicy, model: string): string {
  if (isDisabled(policy, model)) throw disabledModelError(model);
  return resolveAlias(policy, model);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The defaults for `model`: `*` first, the client name's and the upstream model's over it. */
export function defaultsFor(policy: ModelPolicy, requested: string, target: string): ModelDefaults {
  return { ...policy.defaults["*"], ...policy.defaults[target], ...(requested !== target ? policy.defaults[requested] : {}) };
}

function withDefaults(body: GenerateContentRequest, defaults: ModelDefaults): GenerateContentRequest {
  const next: GenerateContentRequest = { ...body };
  if (defaults.safetySettings && body.safetySettings === undefined) next.safetySettings = defaults.safetySettings;
  const wantsThinking = defaults.thinking !== undefined || defaults.thinkingLevel !== undefined || defaults.includeThoughts !== undefined;
  if (!wantsThinking) return next;
  const generationConfig: Record<string, unknown> = { ...body.generationConfig };
  const thinking: Record<string, unknown> = isRecord(generationConfig.thinkingConfig) ? { ...generationConfig.thinkingConfig } : {};
  // Budget and level exclude each other upstream: a request that chose either keeps its choice.
  const chosen = thinking.thinkingBudget !== undefined || thinking.thinkingLevel !== undefined;
  if (!chosen && defaults.thinkingLevel !== undefined) thinking.thinkingLevel = defaults.thinkingLevel;
  else if (!chosen && defaults.thinking !== undefined) thinking.thinkingBudget = defaults.thinking === "off" ? 0 : defaults.thinking === "auto" ? -1 : defaults.thinking;
  if (thinking.includeThoughts === undefined && defaults.includeThoughts !== undefined) thinking.includeThoughts = defaults.includeThoughts;
  if (Object.keys(thinking).length > 0) generationConfig.thinkingConfig = thinking;
  next.generationConfig = generationConfig;
  return next;
}

/** The injected instructions that apply to a request for `requested` (upstream `target`) by `accessKey`, by position. */
export function instructionsFor(policy: ModelPolicy, requested: string, target: string, accessKey: string): { before: string[]; after: string[] } {
  const matching = policy.instructions.filter(
    (instruction) =>
      (instruction.model === undefined || instruction.model === requested || instruction.model === target) &&
      (instruction.accessKey === undefined || instruction.accessKey === accessKey),
  );
  return {
    before: matching.filter((instruction) => instruction.position === "prepend").map((instruction) => instruction.text),
    after: matching.filter((instruction) => instruction.position === "append").map((instruction) => instruction.text),
  };
}

function withInstructions(body: GenerateContentRequest, policy: ModelPolicy, requested: string, target: string, accessKey: string): GenerateContentRequest {
  const instructions = instructionsFor(policy, requested, target, accessKey);
  if (instructions.before.length === 0 && instructions.after.length === 0) return body;
  const existing: Content["parts"] = body.systemInstruction?.parts ?? [];
  const before = instructions.before.map((text) => ({ text }));
  const after = instructions.after.map((text) => ({ text }));
  return { ...body, systemInstruction: { ...body.systemInstruction, parts: [...before, ...existing, ...after] } };
}

/** The request as the policy wants it sent: upstream model and body. Throws the 404 for a disabled model. */
export function applyModelPolicy(
  policy: ModelPolicy,
  request: { model: string; body: GenerateContentRequest; accessKey: string },
): { model: string; body: GenerateContentRequest } {
  const target = admitModel(policy, request.model);
  const defaulted = withDefaults(request.body, defaultsFor(policy, request.model, target));
  return { model: target, body: withInstructions(defaulted, policy, request.model, target, request.accessKey) };
}
