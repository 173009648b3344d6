/**
 * JSON as Google's frontends print it. SSE events use a compact form with a space after each
 * colon but none after commas (`{"candidates": [{"content": {"parts": [...]},"index": 0}]}`,
 * see test/fixtures/gemini-wire/*.sse); non-streamed bodies are pretty-printed with two spaces.
 */

/** Compact JSON with `": "` between keys and values and bare `,` separators, as in Gemini SSE events. */
export function compactGoogleJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((item) => compactGoogleJson(item === undefined ? null : item)).join(",")}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}: ${compactGoogleJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Two-space pretty JSON, as in Gemini's non-streamed responses and error bodies. */
export function prettyGoogleJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** Narrows `unknown` to a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
