/** Reading an OpenAI request body: bounded in size (shared/body.ts), JSON, validated by a zod schema. */
import type { z } from "zod";
import { parseJsonBody, readBoundedBody } from "../body.ts";
import { OpenAiRequestError, requestErrorFromZod } from "./errors.ts";

/** Parses and validates a JSON body, or throws a 400 naming the field at fault (413 over `limit`). */
export async function readJsonBody<Schema extends z.ZodType>(request: Request, limit: number, schema: Schema): Promise<z.output<Schema>> {
  const body = parseJsonBody(await readBoundedBody(request, limit), request.headers.get("content-type"));
  if ("problem" in body) {
    throw new OpenAiRequestError(`We could not parse the JSON body of your request: it ${body.problem}. The body must be a JSON object.`, null, "invalid_json");
  }
  if (typeof body.value !== "object" || body.value === null || Array.isArray(body.value)) {
    throw new OpenAiRequestError("The request body must be a JSON object.", null, "invalid_json");
  }
  const parsed = schema.safeParse(body.value);
  if (!parsed.success) throw requestErrorFromZod(parsed.error);
  return parsed.data;
}
