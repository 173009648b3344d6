/**
 * Console sessions: after a login with the admin key, the browser holds a signed token in an
 * HttpOnly, SameSite=Strict cookie — never the admin key itself. Tokens are
 * `v2.<epoch>.<expiry>.<nonce>.<HMAC>`, signed with a random secret kept in the Store and bound
 * to the current admin keys, so rotating ADMIN_KEY ends every session. The epoch is a random
 * value in the Store too: logging out replaces it, which ends every session issued before, on
 * every isolate and instance (each check reads it; the signing key is cached).
 */
import { base64url, fromBase64url, secretEquals, sha256Hex } from "../secrets.ts";
import type { Store } from "../store/store.ts";

/** Name of the session cookie. */
export const sessionCookie = "gemrelay_session";

/** Settings row holding the signing secret (random, created once by the first isolate that needs it). */
const secretSetting = "admin_session_secret";
/** Settings row holding the session epoch: replaced at logout, so tokens of the old one stop working. */
const epochSetting = "admin_session_epoch";

const encoder = new TextEncoder();

const randomText = (bytes: number) => base64url(crypto.getRandomValues(new Uint8Array(bytes)));

/** Signs, checks and revokes session tokens. */
export class SessionSigner {
  private constructor(
    private readonly store: Store,
    private readonly key: CryptoKey,
    private readonly binding: string,
  ) {}

  /** Loads (or creates) the signing secret and binds tokens to `adminKeys`. */
  static async open(store: Store, adminKeys: readonly string[]): Promise<SessionSigner> {
    const secret = await store.setSettingIfAbsent(secretSetting, randomText(32));
    const key = await crypto.subtle.importKey("raw", fromBase64url(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return new SessionSigner(store, key, await sha256Hex(adminKeys.join("\n")));
  }

  /** A token valid until `expiresAt` (epoch ms), or until the next revocation. */
  async issue(expiresAt: number): Promise<string> {
    const payload = `v2.${await this.epoch()}.${expiresAt}.${randomText(16)}`;
    return `${payload}.${await this.mac(payload)}`;
  }

  /** True when `token` was issued here for the current admin keys and epoch and has not expired. */
  async verify(token: string, now: number): Promise<boolean> {
    const parts = token.split(".");
    if (parts.length !== 5 || parts[0] !== "v2") return false;
    const expiresAt = Number(parts[2]);
    if (!Number.isFinite(expiresAt) || expiresAt <= now) return false;
    const payload = parts.slice(0, 4).join(".");
    if (!secretEquals(parts[4] ?? "", await this.mac(payload))) return false;
    // Only a genuine token costs a Store read; a forged one is refused by its MAC alone.
    return secretEquals(parts[1] ?? "", await this.epoch());
  }

  /** Ends every session issued so far (a new random epoch: no read-modify-write to race). */
  async revokeAll(): Promise<void> {
    await this.store.setSetting(epochSetting, randomText(12));
  }

  private async epoch(): Promise<string> {
    return (await this.store.getSetting(epochSetting)) ?? (await this.store.setSettingIfAbsent(epochSetting, randomText(12)));
  }

  private async mac(payload: string): Promise<string> {
    return base64url(new Uint8Array(await crypto.subtle.sign("HMAC", this.key, encoder.encode(`${payload}\0${this.binding}`))));
  }
}

/** The value of cookie `name` in a Cookie header, or null. */
export function readCookie(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return null;
}

/** True when the client reached us over https (directly, or through a proxy that says so). */
function overHttps(request: Request): boolean {
  return new URL(request.url).protocol === "https:" || request.headers.get("x-forwarded-proto") === "https";
}

/** The Set-Cookie value that stores `token` for `maxAgeSeconds` (0 clears it). */
export function sessionCookieHeader(request: Request, token: string, maxAgeSeconds: number): string {
  const secure = overHttps(request) ? "; Secure" : "";
  return `${sessionCookie}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}
