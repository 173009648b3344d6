/** Picking a settings group's variables out of the environment before zod reads them. */
import type { z } from "zod";

/**
 * The variables `schema` names that are set to something other than blanks, trimmed. Platforms
 * hand over an empty string for an unset variable; dropping those lets zod defaults apply.
 */
export function presentVariables(environment: Record<string, unknown>, schema: z.ZodObject): Record<string, string> {
  const present: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = environment[name];
    if (typeof value === "string" && value.trim() !== "") present[name] = value.trim();
  }
  return present;
}
