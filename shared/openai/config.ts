/**
 * Settings of the OpenAI-compatible surface, read from the same environment as the rest of the
 * worker (DESIGN.md "Environment"): model aliases, the remote-image allow-list, `<think>` tags
 * and the body size limit.
 */
import { z } from "zod";
import { presentVariables } from "../config/variables.ts";
import { splitList } from "../secrets.ts";

/** Default largest request body: Gemini's own limit for inline data in one request is 20 MB. */
export const defaultMaxBodyBytes = 20 * 1024 * 1024;

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
  /** Largest accepted request body in bytes (OPENAI_MAX_BODY_BYTES). */
  maxBodyBytes: number;
}

const environmentSchema = z.object({
  OPENAI_MODEL_ALIASES: z.string().optional(),
  OPENAI_IMAGE_URL_ALLOWLIST: z.string().optional(),
  OPENAI_THINK_TAGS: z.enum(["on", "off"], { message: "OPENAI_THINK_TAGS must be on or off" }).default("off"),
  OPENAI_MAX_BODY_BYTES: z.coerce.number({ message: "OPENAI_MAX_BODY_BYTES must be a number of bytes" }).int().min(1_024).default(defaultMaxBodyBytes),
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
    maxBodyBytes: env.OPENAI_MAX_BODY_BYTES,
  };
}
