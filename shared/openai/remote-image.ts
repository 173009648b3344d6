/**
 * Remote `image_url`s. Gemini cannot fetch arbitrary URLs itself, so the worker would have to,
 * which turns every client into a fetch-anything proxy (SSRF). Remote images are therefore
 * fetched only from hosts on OPENAI_IMAGE_URL_ALLOWLIST, only over https, never from internal
 * addresses (even when allow-listed), without following redirects, with a size and time limit.
 */
import { bytesToBase64 } from "./base64.ts";
import { readAtMost } from "../body.ts";
import { OpenAiRequestError } from "./errors.ts";

/** Largest remote image fetched. */
export const maxImageBytes = 10 * 1024 * 1024;

const fetchTimeoutMs = 10_000;

/** Host names that always mean "this machine" or a private network. */
const internalNames = /^(?:localhost|.*\.localhost|.*\.local|.*\.internal|.*\.home\.arpa|metadata(?:\.google\.internal)?)$/;

function ipv4Octets(host: string): number[] | null {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  return match ? match.slice(1).map(Number) : null;
}

function internalIpv4([a = 0, b = 0]: number[]): boolean {
  return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a >= 224;
}

/**
 * True for loopback, private, link-local, CGNAT, multicast and unspecified addresses and for
 * internal host names. The URL parser has already normalised odd IPv4 spellings
 * (`2130706433`, `0x7f.1`) to dotted form.
 */
export function isInternalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  // A single-label name ("intranet") resolves through the local search domain: internal.
  if (internalNames.test(host) || (!host.includes(".") && !host.includes(":"))) return true;
  const octets = ipv4Octets(host);
  if (octets) return internalIpv4(octets);
  if (!host.includes(":")) return false;
  // IPv6: loopback, unspecified, unique local (fc00::/7), link-local (fe80::/10), IPv4-mapped.
  if (host === "::1" || host === "::") return true;
  if (/^f[cd][0-9a-f]{2}:/.test(host) || /^fe[89ab][0-9a-f]:/.test(host)) return true;
  const mapped = /^::ffff:(.+)$/.exec(host)?.[1];
  if (mapped) {
    const dotted = ipv4Octets(mapped);
    if (dotted) return internalIpv4(dotted);
    const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(mapped);
    if (hex) return internalIpv4([Number.parseInt(hex[1] ?? "0", 16) >> 8, Number.parseInt(hex[1] ?? "0", 16) & 255]);
  }
  return false;
}

/** True when `hostname` is on the allow-list (`host` exactly, or `*.domain` for its subdomains). */
export function isAllowedHost(hostname: string, allowList: readonly string[]): boolean {
  const host = hostname.toLowerCase();
  return allowList.some((entry) => (entry.startsWith("*.") ? host.endsWith(entry.slice(1)) : host === entry));
}

/**
 * Fetches an allow-listed remote image as inline data, or throws a 400 naming `param`.
 * `fetcher` is injectable for tests.
 */
export async function fetchRemoteImage(
  address: string,
  allowList: readonly string[],
  param: string,
  fetcher: typeof fetch = fetch,
): Promise<{ mimeType: string; data: string }> {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new OpenAiRequestError(`'${param}' is neither a data URL nor a valid URL.`, param, "invalid_image_url");
  }
  if (url.protocol !== "https:") throw new OpenAiRequestError(`'${param}' must be a data: URL or an https: URL.`, param, "invalid_image_url");
  if (!isAllowedHost(url.hostname, allowList)) {
    throw new OpenAiRequestError(
      `Remote image URLs are accepted only from hosts on OPENAI_IMAGE_URL_ALLOWLIST, and ${url.hostname} is not one; send the image as a data: URL ('${param}').`,
      param,
      "image_url_not_allowed",
    );
  }
  if (isInternalHost(url.hostname)) throw new OpenAiRequestError(`'${param}' points at an internal address, which is never fetched.`, param, "image_url_not_allowed");
  let response: Response;
  try {
    response = await fetcher(url.href, { redirect: "manual", signal: AbortSignal.timeout(fetchTimeoutMs) });
  } catch (error) {
    throw new OpenAiRequestError(`Could not fetch the image at '${param}': ${error instanceof Error ? error.message : String(error)}.`, param, "image_fetch_failed");
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new OpenAiRequestError(`Fetching the image at '${param}' answered HTTP ${response.status} (redirects are not followed).`, param, "image_fetch_failed");
  }
  const mimeType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (!mimeType.startsWith("image/")) {
    await response.body?.cancel();
    throw new OpenAiRequestError(`The URL at '${param}' is not an image (content-type ${mimeType || "missing"}).`, param, "invalid_image_url");
  }
  const bytes = await readAtMost(response.body, maxImageBytes, () => new OpenAiRequestError(`The image at '${param}' is larger than ${maxImageBytes} bytes.`, param, "image_too_large"));
  return { mimeType, data: bytesToBase64(bytes) };
}
