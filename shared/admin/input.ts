/** Admin API input: JSON bodies and query strings validated with zod, errors naming the field. */
import type { z } from "zod";
import { BadRequestError } from "../errors.ts";
import { readAtMost } from "../openai/body.ts";

/** Largest admin body: room for tens of thousands of pasted keys. */
const maximumBodyBytes = 2 * 1024 * 1024;

/** `keys[3]: must be a string` from the first zod issue. */
function describeIssue(error: z.ZodError, where: string): string {
  const issue = error.issues[0];
  const path = issue?.path.length ? issue.path.map((part, index) => (typeof part === "number" ? `[${part}]` : `${index > 0 ? "." : ""}${String(part)}`)).join("") : where;
  return `${path}: ${issue?.message ?? "invalid"}`;
}

/** The JSON body validated by `schema`; an empty body counts as `{}`. Throws a 400 naming the field. */
export async function readJson<Schema extends z.ZodType>(request: Request, schema: Schema): Promise<z.output<Schema>> {
  const bytes = await readAtMost(request.body, maximumBodyBytes, () => new BadRequestError(`The request body is larger than ${maximumBodyBytes} bytes.`));
  const text = new TextDecoder().decode(bytes).trim();
  let value: unknown = {};
  if (text !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      throw new BadRequestError("The request body is not valid JSON.");
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new BadRequestError(`Invalid request body at ${describeIssue(parsed.error, "(body)")}`);
  return parsed.data;
}

/** The query string validated by `schema` (values as strings; use z.coerce). Throws a 400 naming the parameter. */
export function readQuery<Schema extends z.ZodType>(url: URL, schema: Schema): z.output<Schema> {
  const parsed = schema.safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) throw new BadRequestError(`Invalid query parameter ${describeIssue(parsed.error, "(query)")}`);
  return parsed.data;
}
