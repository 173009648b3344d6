/** Reading an Anthropic request body: bounded, JSON, validated, errors in Anthropic's words. */
import type { z } from "zod";
import { parseJsonBody, readBoundedBody } from "../body.ts";
import { BadRequestError } from "../errors.ts";
import { anthropicRequestError } from "./errors.ts";

/** Parses and validates a JSON body, or throws a 400 naming the field at fault (413 over `limit`). */
export async function readAnthropicBody<Schema extends z.ZodType>(request: Request, limit: number, schema: Schema): Promise<z.output<Schema>> {
  const body = parseJsonBody(await readBoundedBody(request, limit), request.headers.get("content-type"));
  if ("problem" in body) throw new BadRequestError(`The request body is not valid JSON: it ${body.problem}.`);
  if (typeof body.value !== "object" || body.value === null || Array.isArray(body.value)) throw new BadRequestError("The request body must be a JSON object.");
  const parsed = schema.safeParse(body.value);
  if (!parsed.success) throw anthropicRequestError(parsed.error);
  return parsed.data;
}
