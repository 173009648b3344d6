/**
 * Model lists as clients see them under the model policy: disabled models left out, aliases added
 * as models of their own (native: a copy of the target's entry under the alias's name).
 */
import { z } from "zod";
import { isDisabled, type ModelPolicy } from "./model-policy.ts";

const nativeListSchema = z.looseObject({ models: z.array(z.looseObject({ name: z.string() })).optional() });

/** Rewrites Gemini's `GET /v1beta/models` answer; an unexpected shape is passed on unchanged. */
export function nativeModelList(text: string, policy: ModelPolicy): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  const parsed = nativeListSchema.safeParse(value);
  if (!parsed.success || parsed.data.models === undefined) return text;
  const models = parsed.data.models.filter((entry) => !isDisabled(policy, entry.name));
  for (const [alias, target] of Object.entries(policy.aliases)) {
    if (isDisabled(policy, alias) || models.some((entry) => entry.name === `models/${alias}`)) continue;
    const base = models.find((entry) => entry.name === `models/${target}`);
    models.push({ ...base, name: `models/${alias}`, displayName: `${alias} (→ ${target})` });
  }
  return JSON.stringify({ ...parsed.data, models });
}

