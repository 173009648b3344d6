/**
 * Admin authentication: `Authorization: Bearer <ADMIN_KEY>` for scripts, or the console's session
 * cookie (session.ts). Wrong admin keys are throttled per client address (throttle.ts), the
 * address coming from the platform (net/client-address.ts), never from a header a client can
 * forge. A valid session cookie is never throttled: it proves the key was known.
 * Cookie-authenticated writes must carry the console's `x-gemrelay-console` header: a cross-site
 * page cannot add it without a CORS preflight this API never grants (CSRF defence on top of
 * SameSite=Strict).
 */
import type { Context } from "hono";
import { AuthenticationError, ForbiddenError, RateLimitError, SetupError } from "../errors.ts";
import type { ClientAddress } from "../net/client-address.ts";
import { secretMatchesAny } from "../secrets.ts";
import type { Store } from "../store/store.ts";
import { readCookie, sessionCookie, sessionCookieHeader, SessionSigner } from "./session.ts";
import { LoginThrottle } from "./throttle.ts";

/** Header the console sends with every write. */
export const consoleHeader = "x-gemrelay-console";

/** How an admin request was authenticated. */
export type AdminMethod = "bearer" | "session";

/** The key of `Authorization: Bearer <key>`, or null. */
function bearerOf(request: Request): string | null {
  const authorization = request.headers.get("authorization");
  return authorization ? (/^Bearer\s+(.+)$/i.exec(authorization.trim())?.[1]?.trim() ?? null) : null;
}

/** Checks admin credentials and console sessions for one isolate (throttle included). */
export class AdminGate {
  readonly throttle: LoginThrottle;
  private signer: Promise<SessionSigner> | null = null;

  constructor(
    private readonly store: Store,
    private readonly adminKeys: readonly string[],
    private readonly clock: () => number,
    private readonly sessionHours: number,
    private readonly clientAddress: ClientAddress,
  ) {
    this.throttle = new LoginThrottle(clock);
  }

  /** Throws unless the request carries an admin credential or a valid console session. */
  async require(c: Context): Promise<AdminMethod> {
    this.configured();
    const request = c.req.raw;
    const bearer = bearerOf(request);
    if (bearer !== null) {
      this.checkCredential(c, bearer);
      return "bearer";
    }
    if (await this.hasSession(request)) {
      if (request.method !== "GET" && request.method !== "HEAD" && request.headers.get(consoleHeader) === null) {
        throw new ForbiddenError(`Console writes need the ${consoleHeader} header (CSRF protection).`);
      }
      return "session";
    }
    throw new AuthenticationError("Admin credential required: send Authorization: Bearer <ADMIN_KEY>, or log in to the console.");
  }

  /**
   * Refuses an address that is waiting out its back-off before anything of its request is read:
   * a login body is only read from addresses that may try.
   */
  admit(c: Context): void {
    this.configured();
    this.refuseWhileBlocked(this.clientAddress(c));
  }

  /** Checks a login's admin key; returns the Set-Cookie value of a new session. */
  async login(c: Context, adminKey: string): Promise<string> {
    this.configured();
    this.checkCredential(c, adminKey);
    const seconds = Math.round(this.sessionHours * 3_600);
    const token = await (await this.signerFor()).issue(this.clock() + seconds * 1_000);
    return sessionCookieHeader(c.req.raw, token, seconds);
  }

  /**
   * The Set-Cookie value that ends the browser's session. When the request holds a valid session
   * (or the admin key), every session is revoked in the Store, so a copied cookie stops working
   * too; an anonymous request only clears its own cookie and can log nobody out.
   */
  async logout(c: Context): Promise<string> {
    const request = c.req.raw;
    const bearer = bearerOf(request);
    if (bearer !== null) this.checkCredential(c, bearer);
    if (bearer !== null || (this.adminKeys.length > 0 && (await this.hasSession(request)))) await (await this.signerFor()).revokeAll();
    return sessionCookieHeader(request, "", 0);
  }

  private configured(): void {
    if (this.adminKeys.length === 0) throw new SetupError("The admin API is disabled until ADMIN_KEY is set.");
  }

  private async hasSession(request: Request): Promise<boolean> {
    const token = readCookie(request.headers.get("cookie"), sessionCookie);
    return token !== null && token !== "" && (await (await this.signerFor()).verify(token, this.clock()));
  }

  private refuseWhileBlocked(address: string): void {
    const wait = this.throttle.blockedFor(address);
    if (wait !== null) throw new RateLimitError(`Too many wrong admin credentials from this address; retry in ${wait}s.`, wait);
  }

  /** Constant-time check of an admin key, refusing throttled addresses before comparing. */
  private checkCredential(c: Context, presented: string): void {
    const address = this.clientAddress(c);
    this.refuseWhileBlocked(address);
    if (!secretMatchesAny(presented, this.adminKeys)) {
      this.throttle.failed(address);
      throw new AuthenticationError("Wrong admin key.");
    }
    this.throttle.succeeded(address);
  }

  private signerFor(): Promise<SessionSigner> {
    this.signer ??= SessionSigner.open(this.store, this.adminKeys).catch((error: unknown) => {
      this.signer = null;
      throw error;
    });
    return this.signer;
  }
}
