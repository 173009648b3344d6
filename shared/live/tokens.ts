/**
 * Ephemeral tokens (`POST /v1alpha/auth_tokens`, the SDK's `authTokens.create`): made upstream
 * with a pool key like any request, and remembered as token → the key that made it, because
 * Google honours a token only with the project of the key that created it. A Live connect that
 * presents the token (`BidiGenerateContentConstrained?access_token=…`) is then routed to that
 * key, and charged to the access key that created the token; the token itself is the
 * credential, no access key is needed. The Store holds the token's SHA-256 and the key's id,
 * never the token or the key.
 */
import { z } from "zod";
import type { AppContext } from "../app.ts";
import { authenticate } from "../auth.ts";
import { readBoundedBody } from "../body.ts";
import { poolKeyId } from "../keys/identity.ts";
import type { Background } from "../routing/pool-view.ts";
import { sendWithFailover } from "../routing/scheduler.ts";
import { sha256Hex } from "../secrets.ts";
import { traceOf } from "../usage/trace.ts";

/** Google's default lifetime of a token's use window is 30 minutes; a session may run on after. */
const defaultLifetimeMs = 30 * 60_000;
/** Kept this long after the token expired, for sessions it opened. */
const graceMs = 60 * 60_000;

const tokenRecordSchema = z.object({ keyId: z.string(), accessKey: z.string(), models: z.array(z.string()), expiresAt: z.number() });

/** What a token was made with. */
export type TokenRecord = z.infer<typeof tokenRecordSchema>;

const createdTokenSchema = z.looseObject({ name: z.string().startsWith("auth_tokens/"), expireTime: z.string().optional() });

function settingName(tokenHash: string): string {
  return `live-token:${tokenHash}`;
}

/** The record of `token`, or null when gemrelay did not make it or it expired long ago. */
export async function findToken(context: AppContext, token: string): Promise<TokenRecord | null> {
  const stored = await context.store.getSetting(settingName(await sha256Hex(token)));
  if (stored === null) return null;
  const parsed = tokenRecordSchema.safeParse(JSON.parse(stored));
  if (!parsed.success || parsed.data.expiresAt + graceMs < context.clock()) return null;
  return parsed.data;
}

/** The pool key with id `keyId`, when it is still in the pool. */
export async function poolKeyById(context: AppContext, keyId: string, background: Background): Promise<string | null> {
  for (const entry of (await context.pool.current(background)).keys) if ((await poolKeyId(entry.key)) === keyId) return entry.key;
  return null;
}

/** `POST /v1alpha/auth_tokens`: creates the token with a pool key and remembers which. */
export async function createAuthToken(request: Request, context: AppContext, background: Background): Promise<Response> {
  const url = new URL(request.url);
  const identity = authenticate(request, url, context.config);
  const body = (await readBoundedBody(request, context.config.maxBodyBytes)).buffer;
  const headers = new Headers();
  for (const name of ["content-type", "x-goog-api-client"]) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const query = new URLSearchParams(url.search);
  query.delete("key");
  const search = query.toString();
  const plan = { requestId: crypto.randomUUID(), model: "*", method: "POST", pathAndQuery: url.pathname + (search ? `?${search}` : ""), headers, body, signal: request.signal };
  const { response, key } = await sendWithFailover(identity.mode === "pass-through" ? { ...plan, clientKey: identity.key } : plan, context, background);
  const text = await response.text();
  const created = response.ok ? createdTokenSchema.safeParse(safeJson(text)) : null;
  if (created?.success && identity.mode === "pool") {
    const client = traceOf({ signal: request.signal })?.client ?? { accessKey: "", models: [] };
    const expires = created.data.expireTime ? Date.parse(created.data.expireTime) : NaN;
    const record: TokenRecord = {
      keyId: await poolKeyId(key),
      accessKey: client.accessKey,
      models: [...client.models],
      expiresAt: Number.isFinite(expires) ? expires : context.clock() + defaultLifetimeMs,
    };
    await context.store.setSetting(settingName(await sha256Hex(created.data.name)), JSON.stringify(record));
  }
  const responseHeaders = new Headers(response.headers);
  for (const name of ["content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"]) responseHeaders.delete(name);
  return new Response(text, { status: response.status, headers: responseHeaders });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
