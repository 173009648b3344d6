/**
 * `GET /v1beta/files` (and `cachedContents`, `batches`) in pool mode: every key's project holds
 * its own resources, so one key's list would show a random part of what the client created. The
 * list is read key after key, in pool order, and paged with a token gemrelay issues: the key's id
 * (never the key) and Google's page token within that key's list.
 */
import type { AppContext } from "../app.ts";
import { BadRequestError, GemrelayError } from "../errors.ts";
import { poolKeyId } from "../keys/identity.ts";
import type { Background } from "../routing/pool-view.ts";
import { sendWithFailover, type AttemptPlan } from "../routing/scheduler.ts";
import { fromBase64url, base64url } from "../secrets.ts";
import { listFields, type ListedCollection } from "./names.ts";

/** Page tokens gemrelay issues start so. */
const tokenPrefix = "grl1.";

interface PagePosition {
  /** The pool key id whose list is read. */
  keyId: string;
  /** Google's page token within that key's list; absent for its first page. */
  token?: string;
}

function encodeToken(position: PagePosition): string {
  return tokenPrefix + base64url(new TextEncoder().encode(JSON.stringify(position)));
}

function decodeToken(token: string): PagePosition {
  const invalid = new BadRequestError("Invalid page token: pass the nextPageToken of a previous list answer from gemrelay unchanged.");
  if (!token.startsWith(tokenPrefix)) throw invalid;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(fromBase64url(token.slice(tokenPrefix.length))));
    if (value === null || typeof value !== "object") throw invalid;
    const { keyId, token: inner } = value as Record<string, unknown>;
    if (typeof keyId !== "string" || (inner !== undefined && typeof inner !== "string")) throw invalid;
    return inner === undefined ? { keyId } : { keyId, token: inner };
  } catch {
    throw invalid;
  }
}

/** Google's default page size of these lists, and its largest. */
const defaultPageSize = 10;
const largestPageSize = 100;

/**
 * One page of `collection` merged across the pool's active keys: filled from key after key up to
 * the page size, with a next page token only when something follows (a page is never empty
 * before the end: some SDK pagers read an empty page as an item). A key that cannot answer now
 * (cooling, failing) is passed over rather than failing the whole list.
 */
export async function listAcrossKeys(context: AppContext, base: AttemptPlan, path: string, query: URLSearchParams, collection: ListedCollection, background: Background): Promise<Response> {
  const snapshot = await context.pool.current(background);
  const keys = snapshot.keys.filter((key) => key.status === "active").map((key) => key.key);
  const ids = await Promise.all(keys.map(poolKeyId));
  const field = listFields[collection];
  const requested = Number(query.get("pageSize") ?? defaultPageSize);
  const pageSize = Number.isInteger(requested) && requested > 0 ? Math.min(requested, largestPageSize) : defaultPageSize;

  /** One upstream page at `position`, and where the list goes on after it. */
  const fetchPage = async (position: PagePosition, size: number): Promise<{ items: unknown[]; following: PagePosition | null }> => {
    const index = ids.indexOf(position.keyId);
    if (index < 0) throw new BadRequestError("The page token names a Gemini key that is no longer active in the pool: list again from the first page.");
    const upstream = new URLSearchParams(query);
    upstream.set("pageSize", String(size));
    if (position.token === undefined) upstream.delete("pageToken");
    else upstream.set("pageToken", position.token);
    const plan: AttemptPlan = { ...base, method: "GET", body: null, pathAndQuery: `${path}?${upstream.toString()}`, pin: { key: keys[index] as string, resource: `The ${collection} list of one pool key` } };
    let answer: Record<string, unknown> | null = null;
    try {
      const { response } = await sendWithFailover(plan, context, background);
      if (response.ok) answer = (await response.json()) as Record<string, unknown>;
      else await response.body?.cancel();
    } catch (error) {
      if (!(error instanceof GemrelayError) || error.status === 499) throw error;
    }
    const items = Array.isArray(answer?.[field]) ? (answer[field] as unknown[]) : [];
    const nextKey = ids[index + 1];
    const token = answer?.nextPageToken;
    const following = typeof token === "string" && token !== "" ? { keyId: position.keyId, token } : nextKey !== undefined ? { keyId: nextKey } : null;
    return { items, following };
  };

  const pageToken = query.get("pageToken");
  let position: PagePosition | null = pageToken ? decodeToken(pageToken) : ids[0] !== undefined ? { keyId: ids[0] } : null;
  const collected: unknown[] = [];
  while (position !== null && collected.length < pageSize) {
    const page = await fetchPage(position, pageSize - collected.length);
    collected.push(...page.items);
    position = page.following;
  }
  // Look ahead over keys that hold nothing, so that the last page carries no token.
  while (position !== null && position.token === undefined) {
    const page = await fetchPage(position, 1);
    if (page.items.length > 0) break;
    position = page.following;
  }
  const body: Record<string, unknown> = {};
  if (collected.length > 0) body[field] = collected;
  if (position !== null) body.nextPageToken = encodeToken(position);
  return Response.json(body);
}
