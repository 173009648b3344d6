/**
 * Admin API input: JSON bodies and query strings validated with zod, errors naming the field.
 * Admin bodies have limits of their own, far below MAX_BODY_BYTES (which is sized for prompts
 * with images): every route but login reads its body only after the credential check, and login
 * only from an address that is not waiting out a back-off (auth.ts).
 */
import { z } from "zod";
import type { WorkerConfig } from "../config/env.ts";
import { BadRequestError } from "../errors.ts";
import { parseJsonBody, readBoundedBody } from "../body.ts";

/** `keys[3]: must be a string` from the first zod issue. */
export function describeIssue(error: z.ZodError, where: string): string {
  const issue = error.issues[0];
  const path = issue?.path.length ? issue.path.map((part, index) => (typeof part === "number" ? `[${part}]` : `${index > 0 ? "." : ""}${String(part)}`)).join("") : where;
  return `${path}: ${issue?.message ?? "invalid"}`;
}

/** What is wrong with a stored or restored JSON document: `field: message`, or that it is not JSON. */
export function describeDocumentError(error: unknown): string {
  return error instanceof z.ZodError ? describeIssue(error, "(document)") : "is not JSON";
}

/** Largest admin bodies, by route kind (never more than MAX_BODY_BYTES). */
export const adminBodyBytes = {
  /** `{"adminKey": "…"}`: anything longer is not a login. */
  login: 4 * 1024,
  /** A backup document (POST /api/restore): pool keys, access keys, policy, usage rows. */
  restore: 8 * 1024 * 1024,
  /** Every other admin body; room for a bulk add of about 20,000 keys. */
  other: 1024 * 1024,
} as const;

/** The body limit of an admin route of `kind` under `config`'s MAX_BODY_BYTES. */
export function adminBodyLimit(config: Pick<WorkerConfig, "maxBodyBytes">, kind: keyof typeof adminBodyBytes = "other"): number {
  return Math.min(adminBodyBytes[kind], config.maxBodyBytes);
}

/**
 * The JSON body validated by `schema`; an empty body counts as `{}`. Throws a 400 naming the
 * field, or a 413 over `limit` (adminBodyLimit).
 */
export async function readJson<Schema extends z.ZodType>(request: Request, schema: Schema, limit: number): Promise<z.output<Schema>> {
  const bytes = await readBoundedBody(request, limit);
  const body = bytes.byteLength === 0 ? { value: {} } : parseJsonBody(bytes, request.headers.get("content-type"));
  if ("problem" in body) throw new BadRequestError(`The request body ${body.problem}.`);
  const parsed = schema.safeParse(body.value);
  if (!parsed.success) throw new BadRequestError(`Invalid request body at ${describeIssue(parsed.error, "(body)")}`);
  return parsed.data;
}

/** The query string validated by `schema` (values as strings; use z.coerce). Throws a 400 naming the parameter. */
export function readQuery<Schema extends z.ZodType>(url: URL, schema: Schema): z.output<Schema> {
  const parsed = schema.safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) throw new BadRequestError(`Invalid query parameter ${describeIssue(parsed.error, "(query)")}`);
  return parsed.data;
}
