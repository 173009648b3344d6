/**
 * Console sessions: after a login with the admin key, the browser holds a signed token in an
 * HttpOnly, SameSite=Strict cookie — never the admin key itself. Tokens are stateless (any
 * isolate can check them): `v1.<expiry>.<nonce>.<HMAC>`, signed with a random secret kept in the
 * Store and bound to the current admin keys, so rotating ADMIN_KEY ends every session.
 */
import { base64url, fromBase64url, secretEquals, sha256Hex } from "../secrets.ts";
import type { Store } from "../store/store.ts";

/** Name of the session cookie. */
export const sessionCookie = "gemrelay_session";

/** Settings row holding the signing secret (random, created once by the first isolate that needs it). */
const secretSetting = "admin_session_secret";

const encoder = new TextEncoder();

/** Signs and checks session tokens. */
export class SessionSigner {
  private constructor(
    private readonly key: CryptoKey,
    private readonly binding: string,
  ) {}

  /** Loads (or creates) the signing secret and binds tokens to `adminKeys`. */
  static async open(store: Store, adminKeys: readonly string[]): Promise<SessionSigner> {
    const secret = await store.setSettingIfAbsent(secretSetting, base64url(crypto.getRandomValues(new Uint8Array(32))));
    const key = await crypto.subtle.importKey("raw", fromBase64url(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return new SessionSigner(key, await sha256Hex(adminKeys.join("\n")));
  }

  /** A token valid until `expiresAt` (epoch ms). */
  async issue(expiresAt: number): Promise<string> {
    const payload = `v1.${expiresAt}.${base64url(crypto.getRandomValues(new Uint8Array(16)))}`;
    return `${payload}.${await this.mac(payload)}`;
  }

  /** True when `token` was issued here for the current admin keys and has not expired. */
  async verify(token: string, now: number): Promise<boolean> {
    const parts = token.split(".");
    if (parts.length !== 4 || parts[0] !== "v1") return false;
    const expiresAt = Number(parts[1]);
    if (!Number.isFinite(expiresAt) || expiresAt <= now) return false;
    const payload = parts.slice(0, 3).join(".");
    return secretEquals(parts[3] ?? "", await this.mac(payload));
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
