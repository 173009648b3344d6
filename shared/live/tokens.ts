/**
 * Ephemeral tokens (`POST /v1alpha/auth_tokens`, the SDK's `authTokens.create`): made upstream
 * with a pool key like any request, and remembered as token → the key that made it, because
 * Google honours a token only with the project of the key that created it. A Live connect that
 * presents the token (`BidiGenerateContentConstrained?access_token=…`) is then routed to that
 * key, and charged to the access key that created the token, which must still be valid (a
 * revoked or expired access key takes its tokens with it); the token itself is the credential.
 *
 * The record is one of the Store's resource records (store/records.ts), so it is bounded like
 * files and upload sessions: it expires with the token (`expireTime`, Google's default 30
 * minutes, at most 20 hours), expired records are refused and dropped on later writes, and the
 * Store keeps at most {@link resourceCap} records in all. It holds the token's SHA-256 (the
 * name), the pool key's id and a reference to the creating access key (its id, or the SHA-256
 * of an AUTH_KEY key), never the token, the pool key or the access key.
 */
import { z } from "zod";
import type { AppContext } from "../app.ts";
import { authenticate, presentedKey } from "../auth.ts";
import { accessKeyState } from "../access/access-keys.ts";
import { readBoundedBody } from "../body.ts";
import { AuthenticationError } from "../errors.ts";
import { poolKeyId } from "../keys/identity.ts";
import { keyWithId, resourceCap } from "../resources/affinity.ts";
import type { Background } from "../routing/pool-view.ts";
import { sendWithFailover } from "../routing/scheduler.ts";
import { sha256Hex } from "../secrets.ts";
import type { ClientRef } from "../usage/trace.ts";
import { traceOf } from "../usage/trace.ts";

/** Google's default `expireTime` of a token: 30 minutes after its creation. */
const defaultLifetimeMs = 30 * 60_000;
/** Google refuses an `expireTime` 20 hours or more ahead; no record outlives that. */
const longestLifetimeMs = 20 * 3_600_000;

/** A token's creator as stored: a Store access key by id, an AUTH_KEY key by its SHA-256. */
const storedPrefix = "access-key:";
const environmentPrefix = "env:";

/** What a token was made with. */
export interface TokenRecord {
  /** The id of the pool key that made the token. */
  keyId: string;
  /** Who a session with the token is charged to, as the creating access key is now. */
  client: ClientRef;
}

/** The field that carries a token's expiry, in Google's answer or in the client's request. */
const expirySchema = z.looseObject({ expireTime: z.string().optional() });
const createdTokenSchema = z.looseObject({ name: z.string().startsWith("auth_tokens/"), expireTime: z.string().optional() });

async function recordName(token: string): Promise<string> {
  return `live-tokens/${await sha256Hex(token)}`;
}

/** When the record of a token expires: its `expireTime` (default 30 min), never beyond 20 h. */
function tokenExpiry(expireTime: string | undefined, now: number): number {
  const parsed = expireTime === undefined ? NaN : Date.parse(expireTime);
  return Math.min(Number.isFinite(parsed) ? parsed : now + defaultLifetimeMs, now + longestLifetimeMs);
}

/**
 * The record of `token`: null when gemrelay did not make it or it expired. Throws when the access
 * key that made it is no longer valid (revoked, expired, removed from AUTH_KEY).
 */
export async function findToken(context: AppContext, token: string, background: Background): Promise<TokenRecord | null> {
  const stored = await context.store.getResource(await recordName(token), context.clock());
  if (stored === null || stored.target === null) return null;
  const creator = stored.target;
  if (creator.startsWith(environmentPrefix)) {
    const hashes = await Promise.all(context.config.accessKeys.map((key) => sha256Hex(key)));
    if (!hashes.includes(creator.slice(environmentPrefix.length))) throw new AuthenticationError("The access key that created this ephemeral token is no longer valid; create a new token with a valid one.");
    return { keyId: stored.keyId, client: { accessKey: "env", models: [] } };
  }
  const record = creator.startsWith(storedPrefix) ? await context.admin.accessKeys.byId(creator.slice(storedPrefix.length), background) : null;
  if (record === null || accessKeyState(record, context.clock()) !== "active") {
    throw new AuthenticationError(`The access key that created this ephemeral token was ${record === null ? "removed" : accessKeyState(record, context.clock())}; ask the admin for a new one.`);
  }
  return { keyId: stored.keyId, client: { accessKey: record.id, models: record.models } };
}

/** The pool key with id `keyId`, when it is still in the pool. */
export async function poolKeyById(context: AppContext, keyId: string, background: Background): Promise<string | null> {
  return keyWithId(await context.pool.current(background), keyId);
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
    const accessKey = traceOf({ signal: request.signal })?.client.accessKey ?? "";
    const presented = presentedKey(request, url);
    // Google answers with the name only (the expiry is input only): the request says when it ends.
    const expireTime = created.data.expireTime ?? expirySchema.safeParse(safeJson(new TextDecoder().decode(body))).data?.expireTime;
    const creator = accessKey === "env" && presented !== null ? environmentPrefix + (await sha256Hex(presented)) : storedPrefix + accessKey;
    const now = context.clock();
    await context.store.putResource({ name: await recordName(created.data.name), keyId: await poolKeyId(key), target: creator, expiresAt: tokenExpiry(expireTime, now) }, { now, cap: resourceCap });
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
