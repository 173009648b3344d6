/**
 * The resource side of Gemini native pass-through requests (shared/native.ts): upload chunks
 * sent to gemrelay's session URL go to Google's with the session's key; an upload start's
 * `x-goog-upload-url` is replaced by gemrelay's; creates are recorded (name → key) and deletes
 * forgotten, so that later requests naming the resource are pinned to its key (affinity.ts).
 */
import type { AppContext } from "../app.ts";
import type { ClientIdentity } from "../auth.ts";
import { GemrelayError } from "../errors.ts";
import type { GeminiPath } from "../gemini/paths.ts";
import type { Background } from "../routing/pool-view.ts";
import type { AttemptPlan, AttemptResult } from "../routing/scheduler.ts";
import { poolKeyId } from "../keys/identity.ts";
import { expiryOf, forgetResource, holderRemoved, keyWithId, recordResource, resourceCap } from "./affinity.ts";
import { createdAlongside, createdResource, mayCreate, pathResource } from "./names.ts";
import { gemrelayUploadUrl, googleSessionHeaders, isUploadToken, newUploadToken, uploadIdParameter, uploadSessionLifetime, uploadSessionName, uploadTarget } from "./uploads.ts";

/** The upload session a request continues, once resolved. */
export interface UploadSession {
  /** Its Store record name. */
  name: string;
}

/** Answers that are read whole to learn a created resource's name: small JSON, never a stream. */
const maxCreateAnswerBytes = 1 << 20;

/**
 * For a request to gemrelay's upload session URL: points `plan` at Google's session URL with the
 * session's key. Null for every other request. A token gemrelay did not mint, or one that expired,
 * is answered 404 and never forwarded (Google's session URLs are not reachable through gemrelay).
 */
export async function continueUploadSession(context: AppContext, url: URL, route: GeminiPath, plan: AttemptPlan, background: Background): Promise<UploadSession | null> {
  const token = url.searchParams.get(uploadIdParameter);
  if (route.version !== "upload" || token === null) return null;
  const name = await uploadSessionName(token);
  const record = isUploadToken(token) ? await context.store.getResource(name, context.clock()) : null;
  if (record === null || record.target === null) {
    throw new GemrelayError("Unknown or expired upload session: start the upload again (POST /upload/v1beta/files with X-Goog-Upload-Command: start).", 404);
  }
  plan.pathAndQuery = record.target;
  if (plan.clientKey === undefined) {
    const key = await keyWithId(await context.pool.current(background), record.keyId);
    if (key === null) throw holderRemoved("This upload session");
    plan.pin = { key, resource: "This upload session" };
  }
  return { name };
}

function isJson(response: Response): boolean {
  return /\bjson\b/i.test(response.headers.get("content-type") ?? "");
}

/**
 * The answer to pass on after a pass-through request: Google's upload session headers replaced
 * by gemrelay's URL (or dropped), a create's resource recorded against the key that made it, a
 * delete forgotten. Only small JSON answers to POST and PATCH are read here.
 */
export async function resourceAnswer(
  context: AppContext,
  request: Request,
  url: URL,
  route: GeminiPath,
  identity: ClientIdentity,
  result: AttemptResult,
  session: UploadSession | null,
): Promise<Response> {
  const { response, key } = result;
  const headers = new Headers(response.headers);
  const googleUrl = headers.get("x-goog-upload-url");
  for (const name of googleSessionHeaders) headers.delete(name);
  if (googleUrl !== null && response.ok) {
    const token = newUploadToken();
    const now = context.clock();
    await context.store.putResource(
      { name: await uploadSessionName(token), keyId: await poolKeyId(key), target: uploadTarget(googleUrl), expiresAt: now + uploadSessionLifetime },
      { now, cap: resourceCap },
    );
    headers.set("x-goog-upload-url", gemrelayUploadUrl(url, route.prefix, apiVersionOf(route), token));
  }
  if (!response.ok) return new Response(response.body, { status: response.status, headers });

  if (request.method === "DELETE") {
    const name = pathResource(route.path);
    if (name !== null && identity.mode === "pool") await forgetResource(context, name);
    return new Response(response.body, { status: response.status, headers });
  }
  const length = Number(response.headers.get("content-length") ?? "0");
  if (!mayCreate(request.method, route.path) || !isJson(response) || length > maxCreateAnswerBytes) {
    return new Response(response.body, { status: response.status, headers });
  }
  const text = await response.text();
  if (identity.mode === "pool" && text.length <= maxCreateAnswerBytes) await recordCreated(context, key, text);
  if (session !== null && headers.get("x-goog-upload-status") === "final") await context.store.deleteResource(session.name);
  return new Response(text, { status: response.status, headers });
}

function apiVersionOf(route: GeminiPath): string {
  return /^\/upload\/(v1beta|v1alpha|v1)\//.exec(route.path)?.[1] ?? "v1beta";
}

/** Records the resource(s) a create answered with against `key`. */
async function recordCreated(context: AppContext, key: string, text: string): Promise<void> {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return;
  }
  const now = context.clock();
  const created = createdResource(answer);
  if (created !== null) await recordResource(context, created.name, key, expiryOf(created.name, created.expiresAt, now));
  for (const name of createdAlongside(answer)) await recordResource(context, name, key, expiryOf(name, null, now));
}
