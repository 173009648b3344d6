/**
 * Settings of the OpenAI-compatible surface, read from the same environment as the rest of the
 * worker (DESIGN.md "Environment"): model aliases, the remote-image allow-list and `<think>` tags.
 * The body size limit is the worker's (MAX_BODY_BYTES, config/env.ts), for every surface alike.
 */
import { z } from "zod";
import { presentVariables } from "../config/variables.ts";
import { splitList } from "../secrets.ts";

/** How the OpenAI routes behave. */
export interface OpenAiConfig {
  /** Client model name → Gemini model id (OPENAI_MODEL_ALIASES, e.g. `gpt-4o=gemini-2.5-flash`). */
  modelAliases: ReadonlyMap<string, string>;
  /**
   * Hosts remote `image_url`s may be fetched from (OPENAI_IMAGE_URL_ALLOWLIST): exact host names,
   * or `*.example.com` for its subdomains. Empty: only data URLs are accepted.
   */
  imageHosts: readonly string[];
  /** Also put thoughts into `content` inside `<think>…</think>` (OPENAI_THINK_TAGS=on) for clients that show only content. */
  thinkTags: boolean;
}

const environmentSchema = z.object({
  OPENAI_MODEL_ALIASES: z.string().optional(),
  OPENAI_IMAGE_URL_ALLOWLIST: z.string().optional(),
  OPENAI_THINK_TAGS: z.enum(["on", "off"], { message: "OPENAI_THINK_TAGS must be on or off" }).default("off"),
});

function parseAliases(text: string | undefined): Map<string, string> {
  const aliases = new Map<string, string>();
  splitList(text).forEach((entry, index) => {
    const [alias = "", target = ""] = entry.split("=").map((side) => side.trim());
    if (!alias || !target) throw new Error(`OPENAI_MODEL_ALIASES[${index}] must look like alias=gemini-model, got "${entry}"`);
    aliases.set(alias, target.replace(/^models\//, ""));
  });
  return aliases;
}

/** Reads the OpenAI settings; throws naming the variable when one is malformed. */
export function readOpenAiConfig(environment: Record<string, unknown>): OpenAiConfig {
  const env = environmentSchema.parse(presentVariables(environment, environmentSchema));
  return {
    modelAliases: parseAliases(env.OPENAI_MODEL_ALIASES),
    imageHosts: splitList(env.OPENAI_IMAGE_URL_ALLOWLIST).map((host) => host.toLowerCase()),
    thinkTags: env.OPENAI_THINK_TAGS === "on",
  };
}
