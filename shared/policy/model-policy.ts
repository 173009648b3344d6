/**
 * The model policy: which models clients may use, aliases (a client's model name → the upstream
 * model), per-model defaults merged into requests that do not set them, and system instructions
 * injected per model or per access key. Stored in the `policy.models` setting; default from
 * MODEL_POLICY (JSON).
 */
import { z } from "zod";
import { agentModelAliases, patternAlias } from "./agent-aliases.ts";

/** Thinking default: `off` (budget 0), `auto` (budget -1, the model decides) or a token budget. */
const thinkingSchema = z.union([z.literal("off"), z.literal("auto"), z.number({ message: "thinking must be off, auto or a token budget" }).int().min(0)]);

/** Defaults for one model (or `*` for every model); only fields the request leaves unset are filled. */
export const modelDefaultsSchema = z.strictObject({
  thinking: thinkingSchema.optional(),
  /** Gemini 3 `thinkingLevel`; not combined with a thinking budget. */
  thinkingLevel: z.enum(["minimal", "low", "medium", "high"], { message: "thinkingLevel must be minimal, low, medium or high" }).optional(),
  includeThoughts: z.boolean({ message: "includeThoughts must be true or false" }).optional(),
  safetySettings: z.array(z.strictObject({ category: z.string().min(1), threshold: z.string().min(1) })).optional(),
});
export type ModelDefaults = z.infer<typeof modelDefaultsSchema>;

/** A system instruction to inject; `model` and `accessKey` narrow where it applies. */
export const injectedInstructionSchema = z.strictObject({
  text: z.string({ message: "text is required" }).min(1, { message: "text must not be empty" }),
  position: z.enum(["prepend", "append"], { message: "position must be prepend or append" }).default("prepend"),
  /** Client model name or upstream model; every model when absent. */
  model: z.string().min(1).optional(),
  /** Access key id; every client when absent. */
  accessKey: z.string().min(1).optional(),
});
export type InjectedInstruction = z.infer<typeof injectedInstructionSchema>;

const modelName = z.string().min(1).regex(/^[^/:\s]+$/, { message: "model names have no '/', ':' or spaces" });

/** The whole policy document. */
export const modelPolicySchema = z.strictObject({
  /** Models refused with 404 (client names and upstream names alike). */
  disabled: z.array(modelName).default([]),
  /** Client model name → upstream model. */
  aliases: z.record(modelName, modelName).default({}),
  /** Model (or `*`) → defaults. */
  defaults: z.record(z.string().min(1), modelDefaultsSchema).default({}),
  instructions: z.array(injectedInstructionSchema).default([]),
});
export type ModelPolicy = z.infer<typeof modelPolicySchema>;

/** The policy that changes nothing. */
export const emptyModelPolicy: ModelPolicy = { disabled: [], aliases: {}, defaults: {}, instructions: [] };

/**
 * The upstream model for a client's model name (one alias step; `models/` dropped): the policy's
 * exact alias, its patterns (`claude-*`), then the built-in agent aliases (agent-aliases.ts).
 */
export function resolveAlias(policy: ModelPolicy, name: string): string {
  const bare = name.replace(/^models\//, "");
  return policy.aliases[bare] ?? patternAlias(policy.aliases, bare) ?? patternAlias(agentModelAliases, bare) ?? bare;
}

/** True when the client name or the model it resolves to is disabled. */
export function isDisabled(policy: ModelPolicy, name: string): boolean {
  const bare = name.replace(/^models\//, "");
  return policy.disabled.includes(bare) || policy.disabled.includes(resolveAlias(policy, bare));
}
