/**
 * Usage across attempts. Within one attempt Gemini's usageMetadata is cumulative (the last chunk
 * counts, REFERENCE.md §1); across attempts the client is told what was billed in total: every
 * attempt's final counts added up, prompt tokens of continuations included (their prompt holds
 * the original request plus the partial answer). The sum only grows, so the usage the client sees
 * is monotonic.
 */
import type { UsageMetadata } from "../gemini/types.ts";

/** A `{modality, tokenCount}` entry of the *TokensDetails lists. */
interface ModalityCount {
  modality?: unknown;
  tokenCount?: unknown;
}

function isModalityList(value: unknown): value is ModalityCount[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === "object" && entry !== null);
}

/** Adds two *TokensDetails lists per modality. */
function addModalities(base: ModalityCount[], current: ModalityCount[]): ModalityCount[] {
  const result = base.map((entry) => ({ ...entry }));
  for (const entry of current) {
    const same = result.find((existing) => existing.modality === entry.modality);
    if (same && typeof same.tokenCount === "number" && typeof entry.tokenCount === "number") same.tokenCount += entry.tokenCount;
    else result.push({ ...entry });
  }
  return result;
}

/** `base + current`: numbers added, per-modality lists merged, anything else from `current`. */
export function addUsage(base: UsageMetadata | undefined, current: UsageMetadata | undefined): UsageMetadata | undefined {
  if (base === undefined) return current;
  if (current === undefined) return base;
  const sum: UsageMetadata = { ...base, ...current };
  for (const [name, value] of Object.entries(current)) {
    const previous: unknown = base[name];
    if (typeof value === "number" && typeof previous === "number") sum[name] = previous + value;
    else if (isModalityList(value) && isModalityList(previous)) sum[name] = addModalities(previous, value);
  }
  return sum;
}
