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

/** A pattern as a regular expression: its literal parts literal, each `*` any run of characters. */
function compile(pattern: string): RegExp {
  const parts = pattern.split("*").map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`);
}

/** Characters of a pattern that are not `*`: the more, the more specific. */
function specificity(pattern: string): number {
  return pattern.replace(/\*/g, "").length;
}

/** An alias table's patterns, compiled and ordered most specific first. */
type CompiledPatterns = readonly { expression: RegExp; target: string }[];

/**
 * Compiled per alias table: every generate request resolves its model, and the policy document
 * is replaced (never changed in place) when it is edited, so a table object compiles once.
 */
const compiled = new WeakMap<Readonly<Record<string, string>>, CompiledPatterns>();

function patternsOf(aliases: Readonly<Record<string, string>>): CompiledPatterns {
  let patterns = compiled.get(aliases);
  if (patterns === undefined) {
    patterns = Object.keys(aliases)
      .filter((pattern) => pattern.includes("*"))
      .sort((left, right) => specificity(right) - specificity(left))
      .map((pattern) => ({ expression: compile(pattern), target: aliases[pattern] ?? pattern }));
    compiled.set(aliases, patterns);
  }
  return patterns;
}

/** The target of the first pattern of `aliases` matching `name` (most specific first), or undefined. */
export function patternAlias(aliases: Readonly<Record<string, string>>, name: string): string | undefined {
  return patternsOf(aliases).find((pattern) => pattern.expression.test(name))?.target;
}
