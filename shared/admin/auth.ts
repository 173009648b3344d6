/**
 * Admin authentication: `Authorization: Bearer <ADMIN_KEY>` (or `x-admin-key`) for scripts, or
 * the console's session cookie (session.ts). Wrong credentials are throttled (throttle.ts).
 * Cookie-authenticated writes must carry the console's `x-gemrelay-console` header: a cross-site
 * page cannot add it without a CORS preflight this API never grants (CSRF defence on top of
 * SameSite=Strict).
 */
import { AuthenticationError, ForbiddenError, RateLimitError, SetupError } from "../errors.ts";
import { secretMatchesAny } from "../secrets.ts";
import type { Store } from "../store/store.ts";
import { readCookie, sessionCookie, sessionCookieHeader, SessionSigner } from "./session.ts";
import { clientAddress, LoginThrottle } from "./throttle.ts";

/** Header the console sends with every write. */
export const consoleHeader = "x-gemrelay-console";

/** How an admin request was authenticated. */
export type AdminMethod = "bearer" | "session";

/** Checks admin credentials and console sessions for one isolate (throttle included). */
export class AdminGate {
  readonly throttle: LoginThrottle;
  private signer: Promise<SessionSigner> | null = null;

  constructor(
    private readonly store: Store,
    private readonly adminKeys: readonly string[],
    private readonly clock: () => number,
    private readonly sessionHours: number,
  ) {
    this.throttle = new LoginThrottle(clock);
  }

  /** Throws unless the request carries an admin credential or a valid console session. */
  async require(request: Request): Promise<AdminMethod> {
    this.configured();
    const authorization = request.headers.get("authorization");
    const bearer = (authorization ? /^Bearer\s+(.+)$/i.exec(authorization.trim())?.[1] : null) ?? request.headers.get("x-admin-key");
    if (bearer) {
      this.checkCredential(request, bearer.trim());
      return "bearer";
    }
    const token = readCookie(request.headers.get("cookie"), sessionCookie);
    if (token && (await (await this.signerFor()).verify(token, this.clock()))) {
      if (request.method !== "GET" && request.method !== "HEAD" && request.headers.get(consoleHeader) === null) {
        throw new ForbiddenError(`Console writes need the ${consoleHeader} header (CSRF protection).`);
      }
      return "session";
    }
    throw new AuthenticationError("Admin credential required: send Authorization: Bearer <ADMIN_KEY>, or log in to the console.");
  }

  /** Checks a login's admin key; returns the Set-Cookie value of a new session. */
  async login(request: Request, adminKey: string): Promise<string> {
    this.configured();
    this.checkCredential(request, adminKey);
    const seconds = Math.round(this.sessionHours * 3_600);
    const token = await (await this.signerFor()).issue(this.clock() + seconds * 1_000);
    return sessionCookieHeader(request, token, seconds);
  }

  /** The Set-Cookie value that ends the browser's session. */
  logout(request: Request): string {
    return sessionCookieHeader(request, "", 0);
  }

  private configured(): void {
    if (this.adminKeys.length === 0) throw new SetupError("The admin API is disabled until ADMIN_KEY is set.");
  }

  /** Constant-time check of an admin key, refusing throttled addresses before comparing. */
  private checkCredential(request: Request, presented: string): void {
    const address = clientAddress(request);
    const wait = this.throttle.blockedFor(address);
    if (wait !== null) throw new RateLimitError(`Too many wrong admin credentials; retry in ${wait}s.`, wait);
    if (!secretMatchesAny(presented, this.adminKeys)) {
      this.throttle.failed(address);
      throw new AuthenticationError("Wrong admin key.");
    }
  }

  private signerFor(): Promise<SessionSigner> {
    this.signer ??= SessionSigner.open(this.store, this.adminKeys).catch((error: unknown) => {
      this.signer = null;
      throw error;
    });
    return this.signer;
  }
}
