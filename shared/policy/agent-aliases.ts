/**
 * Model names agent CLIs send, mapped to Gemini models by default: Claude Code asks for
 * `claude-sonnet-4-5-…`, `claude-haiku-4-5-…`, `claude-opus-…`; Codex for `gpt-5-codex` and the
 * like. A pattern's `*` stands for any run of characters. The model policy's own aliases come
 * first (exact names, then its patterns), so any of these can be overridden there, e.g.
 * `{"aliases": {"claude-*haiku*": "gemini-2.5-flash-lite"}}`.
 */

/** The built-in patterns, most specific first (README "Model names agents send"). */
export const agentModelAliases: Readonly<Record<string, string>> = {
  "claude-*haiku*": "gemini-2.5-flash",
  "claude-*": "gemini-2.5-pro",
  "gpt-5*mini*": "gemini-2.5-flash",
  "gpt-5*nano*": "gemini-2.5-flash",
  "codex-mini*": "gemini-2.5-flash",
  "gpt-5*": "gemini-2.5-pro",
};

function matchesPattern(pattern: string, name: string): boolean {
  const parts = pattern.split("*").map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`).test(name);
}

/** Characters of a pattern that are not `*`: the more, the more specific. */
function specificity(pattern: string): number {
  return pattern.replace(/\*/g, "").length;
}

/** The target of the first pattern of `aliases` matching `name` (most specific first), or undefined. */
export function patternAlias(aliases: Readonly<Record<string, string>>, name: string): string | undefined {
  const patterns = Object.keys(aliases)
    .filter((pattern) => pattern.includes("*"))
    .sort((left, right) => specificity(right) - specificity(left));
  const match = patterns.find((pattern) => matchesPattern(pattern, name));
  return match === undefined ? undefined : aliases[match];
}
