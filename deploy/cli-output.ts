/**
 * Reading what the platform CLIs print: JSON documents (`netlify … --json`, `.vercel/project.json`)
 * validated with zod, and URLs in human-readable output (`vercel deploy`, `wrangler deploy`).
 * A mismatch is an OutputError naming the command and the field, because it usually means a CLI
 * version changed its output.
 */
import type { z } from "zod";
import { formatFieldPath } from "./manifest.ts";

/** Output a command printed that does not have the expected shape. */
export class OutputError extends Error {
  override name = "OutputError";
}

/** The first JSON value in `text` (CLIs may print a notice before it). */
function firstJson(text: string): unknown {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    // Fall through: look for the start of a document after leading lines.
  }
  for (let index = 0; index < trimmed.length; index++) {
    const character = trimmed[index];
    if (character !== "{" && character !== "[") continue;
    if (index > 0 && trimmed[index - 1] !== "\n") continue;
    try {
      return JSON.parse(trimmed.slice(index));
    } catch {
      // Not a document start; keep looking.
    }
  }
  throw new OutputError("no JSON document found");
}

/**
 * Parses the JSON a command printed and validates it. Throws OutputError naming `what` and the
 * failing field path, e.g. `netlify deploy --json: deploy_url: Invalid URL`.
 */
export function parseJsonOutput<T extends z.ZodType>(schema: T, text: string, what: string): z.output<T> {
  let data: unknown;
  try {
    data = firstJson(text);
  } catch {
    throw new OutputError(`${what}: expected JSON output, got: ${text.trim().slice(0, 300) || "(nothing)"}`);
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${formatFieldPath(issue.path) || "(top level)"}: ${issue.message}`);
    throw new OutputError(`${what}: unexpected output (${problems.join("; ")})`);
  }
  return result.data;
}

/** Every http(s) URL in `text`, in order (brackets and trailing punctuation removed). */
export function findUrls(text: string): string[] {
  return [...text.matchAll(/https?:\/\/[^\s<>"'\])]+/g)].map((match) => match[0].replace(/[.,;:]+$/, ""));
}
