/**
 * The HTTP control API under `/__sim/`, for processes that cannot hold the simulator object
 * (benchmark, chaos suite, manual runs):
 *
 * | request | body | answer |
 * |---|---|---|
 * | `GET /__sim/health` | | `{ok: true, url}` |
 * | `POST /__sim/keys` | `{behaviour?, key?}` | `{key}` (a new random key, or `key` registered) |
 * | `POST /__sim/behaviour` | `{key? , hop?, behaviour, model?, retryDelay?}` | `{ok: true}` (key or hop behaviour) |
 * | `POST /__sim/limits` | `{key, requestsPerMinute?, requestsPerDay?}` | `{ok: true}` |
 * | `POST /__sim/fault` | `{fault, match?}` | `{ok: true}` |
 * | `POST /__sim/answer` | `{text: string \| null}` | `{ok: true}` (fixed answer text; null restores the echo) |
 * | `GET /__sim/requests` | | `RecordedRequest[]` |
 * | `GET /__sim/counts?windowMs=60000&model=` | | `{key: count}` |
 * | `GET /__sim/usage?key=` | | `KeyUsage` |
 * | `POST /__sim/reset` | `{keys?: boolean}` | `{ok: true}` |
 */
import type { ServerResponse } from "node:http";
import { z } from "zod";
import { googleError, type HttpAnswer } from "./errors.ts";
import { parseJsonBody } from "./request.ts";
import { keyBehaviours, type Action, type Fault, type FaultMatch, type KeyBehaviour, type KeyLimits, type KeyUsage, type RecordedRequest } from "./types.ts";
import { sendAnswer } from "./wire.ts";

/** The simulator operations the control API exposes. */
export interface SimulatorControl {
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  createKey(behaviour?: KeyBehaviour): string;
  setKeyBehaviour(key: string, behaviour: KeyBehaviour, options?: { model?: string; retryDelay?: string; hop?: string }): void;
  setHopBehaviour(hop: string, behaviour: KeyBehaviour, options?: { model?: string; retryDelay?: string }): void;
  setKeyLimits(key: string, limits: KeyLimits): void;
  enqueue(fault: Fault, match?: FaultMatch): void;
  setAnswer(fn: ((request: RecordedRequest) => string) | null): void;
  countsPerKey(options?: { windowMs?: number; model?: string }): Record<string, number>;
  keyUsage(key: string): KeyUsage;
  reset(options?: { keys?: boolean }): void;
}

const behaviourSchema = z.enum(keyBehaviours as [KeyBehaviour, ...KeyBehaviour[]]);
const actionSchema = z.enum([
  "generateContent",
  "streamGenerateContent",
  "countTokens",
  "embedContent",
  "batchEmbedContents",
  "models.list",
  "models.get",
  "openai",
  "other",
] as const satisfies readonly Action[]);

const modifiers = {
  times: z.number().int().positive().optional(),
  intervalMs: z.number().nonnegative().optional(),
  text: z.string().optional(),
  cachedTokens: z.number().int().nonnegative().optional(),
};

/** Validates a fault sent over HTTP. */
export const faultSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("cut"), afterChars: z.number().int().nonnegative(), mode: z.enum(["close", "reset", "stall"]), afterParts: z.number().int().nonnegative().optional(), ...modifiers }),
  z.object({ kind: z.literal("pause"), afterChars: z.number().int().nonnegative(), ms: z.number().nonnegative(), ...modifiers }),
  z.object({ kind: z.literal("empty-stop"), shape: z.enum(["no-parts", "empty-text"]).optional(), ...modifiers }),
  z.object({ kind: z.literal("no-finish"), ...modifiers }),
  z.object({ kind: z.literal("error-in-stream"), afterChars: z.number().int().nonnegative(), error: z.record(z.string(), z.unknown()).optional(), ...modifiers }),
  z.object({ kind: z.literal("http-error"), status: z.number().int().min(100).max(599), body: z.unknown().optional(), ...modifiers }),
  z.object({ kind: z.literal("finish"), reason: z.string(), afterChars: z.number().int().nonnegative().optional(), message: z.string().optional(), ...modifiers }),
  z.object({ kind: z.literal("block"), reason: z.string(), ...modifiers }),
  z.object({ kind: z.literal("first-byte-delay"), ms: z.number().nonnegative(), afterHeaders: z.boolean().optional(), ...modifiers }),
  z.object({
    kind: z.literal("function-call"),
    name: z.string(),
    args: z.record(z.string(), z.unknown()),
    parallel: z.array(z.object({ name: z.string(), args: z.record(z.string(), z.unknown()) })).optional(),
    ...modifiers,
  }),
  z.object({ kind: z.literal("hangup"), ...modifiers }),
  z.object({ kind: z.literal("pace"), ...modifiers }),
]);

const matchSchema = z.object({
  model: z.string().optional(),
  key: z.string().optional(),
  hop: z.string().optional(),
  action: z.union([actionSchema, z.array(actionSchema)]).optional(),
});

const schemas = {
  keys: z.object({ behaviour: behaviourSchema.optional(), key: z.string().min(1).optional() }),
  behaviour: z
    .object({
      key: z.string().min(1).optional(),
      hop: z.string().min(1).optional(),
      behaviour: behaviourSchema,
      model: z.string().optional(),
      retryDelay: z.string().optional(),
    })
    .refine((body) => body.key !== undefined || body.hop !== undefined, { message: "key or hop is required" }),
  limits: z.object({
    key: z.string().min(1),
    requestsPerMinute: z.number().int().positive().optional(),
    requestsPerDay: z.number().int().positive().optional(),
  }),
  fault: z.object({ fault: faultSchema, match: matchSchema.optional() }),
  answer: z.object({ text: z.string().nullable() }),
  reset: z.object({ keys: z.boolean().optional() }),
};

/** Drops keys whose value is undefined (the public types do not take explicit undefined). */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

const ok: HttpAnswer = { status: 200, body: { ok: true } };

type Parsed<T> = { ok: true; data: T } | { ok: false; answer: HttpAnswer };

/** Validates a control body; an empty body reads as `{}`. */
function parse<T>(schema: z.ZodType<T>, raw: string): Parsed<T> {
  const json = parseJsonBody(raw);
  if (json === undefined) return { ok: false, answer: googleError(400, "Invalid control request: body is not JSON") };
  const result = schema.safeParse(json ?? {});
  if (result.success) return { ok: true, data: result.data };
  const detail = result.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ");
  return { ok: false, answer: googleError(400, `Invalid control request: ${detail}`) };
}

/** Answers one control request (`path` starts with `/__sim/`). */
export function handleControl(simulator: SimulatorControl, method: string, url: URL, raw: string, res: ServerResponse): void {
  sendAnswer(res, null, controlAnswer(simulator, `${method} ${url.pathname}`, url, raw));
}

function controlAnswer(simulator: SimulatorControl, request: string, url: URL, raw: string): HttpAnswer {
  switch (request) {
    case "GET /__sim/health":
      return { status: 200, body: { ok: true, url: simulator.url } };
    case "GET /__sim/requests":
      return { status: 200, body: simulator.requests };
    case "GET /__sim/counts": {
      const windowMs = Number(url.searchParams.get("windowMs") ?? "60000");
      const model = url.searchParams.get("model") ?? undefined;
      return { status: 200, body: simulator.countsPerKey(defined({ windowMs, model })) };
    }
    case "GET /__sim/usage":
      return { status: 200, body: simulator.keyUsage(url.searchParams.get("key") ?? "") };
    case "POST /__sim/keys": {
      const parsed = parse(schemas.keys, raw);
      if (!parsed.ok) return parsed.answer;
      const body = parsed.data;
      if (body.key === undefined) return { status: 200, body: { key: simulator.createKey(body.behaviour) } };
      simulator.setKeyBehaviour(body.key, body.behaviour ?? "ok");
      return { status: 200, body: { key: body.key } };
    }
    case "POST /__sim/behaviour": {
      const parsed = parse(schemas.behaviour, raw);
      if (!parsed.ok) return parsed.answer;
      const body = parsed.data;
      const scope = defined({ model: body.model, retryDelay: body.retryDelay });
      if (body.key !== undefined) simulator.setKeyBehaviour(body.key, body.behaviour, defined({ ...scope, hop: body.hop }));
      else if (body.hop !== undefined) simulator.setHopBehaviour(body.hop, body.behaviour, scope);
      return ok;
    }
    case "POST /__sim/limits": {
      const parsed = parse(schemas.limits, raw);
      if (!parsed.ok) return parsed.answer;
      const body = parsed.data;
      const { key, ...limits } = body;
      simulator.setKeyLimits(key, defined(limits));
      return ok;
    }
    case "POST /__sim/fault": {
      const parsed = parse(schemas.fault, raw);
      if (!parsed.ok) return parsed.answer;
      const body = parsed.data;
      simulator.enqueue(defined(body.fault) as Fault, defined(body.match ?? {}) as FaultMatch);
      return ok;
    }
    case "POST /__sim/answer": {
      const parsed = parse(schemas.answer, raw);
      if (!parsed.ok) return parsed.answer;
      const body = parsed.data;
      const text = body.text;
      simulator.setAnswer(text === null ? null : () => text);
      return ok;
    }
    case "POST /__sim/reset": {
      const parsed = parse(schemas.reset, raw);
      if (!parsed.ok) return parsed.answer;
      const body = parsed.data;
      simulator.reset(defined(body));
      return ok;
    }
    default:
      return googleError(404, `Unknown simulator control request: ${request}`);
  }
}
