/**
 * Sticky routing: the same conversation start maps to the same key while that key is healthy,
 * so Gemini's implicit prompt cache (per key's project) keeps working.
 */
import { z } from "zod";

const leadingTurns = z.looseObject({
  systemInstruction: z.unknown().optional(),
  contents: z.array(z.unknown()).optional(),
});

/** FNV-1a over a string: fast, stable, good enough to spread conversations over keys. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A hash of the system instruction and first turn of a generate request body; null when it has none. */
export function conversationHash(body: ArrayBuffer): number | null {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return null;
  }
  const parsed = leadingTurns.safeParse(value);
  if (!parsed.success || !parsed.data.contents?.length) return null;
  return fnv1a(JSON.stringify([parsed.data.systemInstruction ?? null, parsed.data.contents[0]]));
}
