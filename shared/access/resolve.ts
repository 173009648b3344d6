/**
 * Resolving the client of a request before its handler runs: AUTH_KEY keys and Store access keys
 * (looked up by SHA-256 in the isolate's copy), revocation and expiry, per-minute limits. The
 * verdict is handed to `authenticate` (auth.ts), which the protocol handlers call, so refusals
 * reach the client in its own protocol's error shape.
 */
import type { AppContext } from "../app.ts";
import { decideIdentity, presentedKey, relayAuthHeader, type ClientIdentity, type ClientVerdict } from "../auth.ts";
import { AuthenticationError, GemrelayError, RateLimitError } from "../errors.ts";
import type { Background } from "../routing/pool-view.ts";
import { secretMatchesAny, sha256Hex } from "../secrets.ts";
import type { AccessKeyRecord } from "../store/records.ts";
import type { RequestTrace } from "../usage/trace.ts";
import { accessKeyState } from "./access-keys.ts";

/** Resolves the request's client, notes it on `trace`, and returns the verdict for `authenticate`. */
export async function resolveClient(request: Request, url: URL, context: AppContext, trace: RequestTrace, background: Background): Promise<ClientVerdict> {
  const config = context.config;
  const now = context.clock();
  const presented = presentedKey(request, url);
  const relayAuth = request.headers.get(relayAuthHeader)?.trim() ?? null;
  const fromEnvironment = (credential: string | null) => credential !== null && secretMatchesAny(credential, config.accessKeys);
  // AUTH_KEY keys need no lookup: deployments without Store access keys never wait for the Store.
  const lookup = async (credential: string | null): Promise<AccessKeyRecord | null> =>
    credential === null || fromEnvironment(credential) ? null : context.admin.accessKeys.find(await sha256Hex(credential), background);
  const [presentedRecord, relayRecord] = await Promise.all([lookup(presented), lookup(relayAuth)]);
  const usable = (record: AccessKeyRecord | null): boolean => record !== null && accessKeyState(record, now) === "active";

  let identity: ClientIdentity;
  try {
    identity = decideIdentity(request, url, config, {
      configured: config.accessKeys.length > 0 || (await context.admin.accessKeys.hasAny(background)),
      matches: (credential) =>
        fromEnvironment(credential) ||
        (credential === presented && usable(presentedRecord)) ||
        (credential === relayAuth && usable(relayRecord)),
    });
  } catch (error) {
    const refused = [presentedRecord, relayRecord].find((record) => record !== null && !usable(record));
    if (error instanceof AuthenticationError && refused) {
      return { error: new AuthenticationError(`This gemrelay access key was ${accessKeyState(refused, now)}; ask the admin for a new one.`) };
    }
    return { error: error instanceof GemrelayError ? error : new GemrelayError("Could not authenticate the request.", 500) };
  }

  const credential = identity.mode === "pool" ? presented : relayAuth;
  const record = credential === presented && usable(presentedRecord) ? presentedRecord : credential === relayAuth && usable(relayRecord) ? relayRecord : null;
  if (fromEnvironment(credential)) trace.client = { accessKey: "env", models: [] };
  else if (record) trace.client = { accessKey: record.id, models: record.models };
  else trace.client = { accessKey: "pass-through", models: [] };

  if (record?.requestsPerMinute) {
    const wait = context.admin.rateLimiter.take(record.id, record.requestsPerMinute);
    if (wait !== null) {
      return {
        error: new RateLimitError(
          `Resource has been exhausted: this gemrelay access key allows ${record.requestsPerMinute} requests per minute; retry in ${wait}s.`,
          wait,
        ),
      };
    }
  }
  return { identity };
}
