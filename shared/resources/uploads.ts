/**
 * Gemini's resumable upload protocol through gemrelay. The start request answers with
 * `x-goog-upload-url`, Google's session URL; clients (the SDKs, curl scripts) send the bytes and
 * the finalize there. gemrelay answers with its own URL instead, carrying an opaque token that
 * maps (in the Store, with an expiry) to Google's upload path and to the key that started the
 * session, so that every chunk and the finalize go out with that key, through gemrelay's routing,
 * and the client never sees Google's URL. The token is 256 random bits; the Store keeps only its
 * SHA-256, so a Store dump gives nobody a usable session. The client's access key is still
 * required on the rewritten URL, like on every gemrelay path (the SDKs keep sending it).
 */
import { GemrelayError } from "../errors.ts";
import { parseGeminiPath } from "../gemini/paths.ts";
import { base64url, sha256Hex } from "../secrets.ts";

/** The query parameter carrying gemrelay's token on the rewritten URL (Google's own name for it). */
export const uploadIdParameter = "upload_id";

/** Tokens gemrelay mints start so, which tells them from any other value. */
const tokenPrefix = "gru_";

/** How long a started session stays usable: Google's resumable sessions last about a week; files only 48 h. */
export const uploadSessionLifetime = 2 * 24 * 3_600_000;

/** Response headers of the upload protocol that name Google's session (never passed to a client). */
export const googleSessionHeaders: readonly string[] = ["x-goog-upload-url", "x-goog-upload-control-url", "x-guploader-uploadid"];

/** A fresh session token: 32 random bytes, base64url. */
export function newUploadToken(): string {
  return tokenPrefix + base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The Store record name of a session token (its hash: the token itself is never stored). */
export async function uploadSessionName(token: string): Promise<string> {
  return `upload-sessions/${await sha256Hex(token)}`;
}

/** Whether `token` has the shape of a token gemrelay minted. */
export function isUploadToken(token: string): boolean {
  return /^gru_[\w-]{43}$/.test(token);
}

/**
 * Google's upload URL reduced to what the egress forwards: the Gemini path (from `/upload/` on,
 * without whatever prefix the upstream base had) and its query minus any `key`. Throws when the
 * URL is not a Gemini upload path: gemrelay forwards chunks only to uploads.
 */
export function uploadTarget(googleUrl: string): string {
  let url: URL;
  try {
    url = new URL(googleUrl);
  } catch {
    throw new GemrelayError("Gemini answered an upload start with an unreadable x-goog-upload-url.", 502);
  }
  const route = parseGeminiPath(url.pathname);
  if (route === null || route.version !== "upload" || route.problem !== null) {
    throw new GemrelayError("Gemini answered an upload start with an x-goog-upload-url outside /upload/.", 502);
  }
  url.searchParams.delete("key");
  const search = url.searchParams.toString();
  return route.path + (search ? `?${search}` : "");
}

/** gemrelay's session URL as the client reaches gemrelay: its origin and path prefix, the token. */
export function gemrelayUploadUrl(requestUrl: URL, prefix: string, apiVersion: string, token: string): string {
  return `${requestUrl.origin}${prefix}/upload/${apiVersion}/files?${uploadIdParameter}=${token}&upload_protocol=resumable`;
}
