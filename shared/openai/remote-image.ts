/**
 * Remote `image_url`s. Gemini cannot fetch arbitrary URLs itself, so the worker would have to,
 * which turns every client into a fetch-anything proxy (SSRF) and a download amplifier. Remote
 * images are therefore fetched only from hosts on OPENAI_IMAGE_URL_ALLOWLIST, only over https,
 * never from internal addresses (even when allow-listed: by the URL's host here, and by the
 * address the name resolves to in the platform's fetch, see relays/node/public-fetch.ts), without
 * following redirects, at most `maxRemoteImages` per request, each at most `maxImageBytes`, and
 * all of them together only as far as the upstream body stays within MAX_BODY_BYTES — counted
 * while downloading, never trusting Content-Length.
 */
import { bytesToBase64 } from "./base64.ts";
import { readAtMost } from "../body.ts";
import { InternalAddressError, isInternalHost } from "../net/internal-address.ts";
import { OpenAiRequestError } from "./errors.ts";

/** Largest remote image fetched. */
export const maxImageBytes = 10 * 1024 * 1024;

/** Most remote image URLs one request may carry (data: URLs are not counted: they are in the body already). */
export const maxRemoteImages = 8;

/** Time for one image, from connecting to its last byte. */
const fetchTimeoutMs = 10_000;

/** Longest media type accepted from an image host (it is copied into the upstream body). */
const maxMediaTypeLength = 100;

/** A remote image found while mapping: its URL is checked, its part is filled once fetched. */
export interface RemoteImage {
  url: URL;
  /** The field it came from, for errors (`messages[0].content[1].image_url.url`). */
  param: string;
  /** The Gemini part that receives the image (empty until fetched). */
  part: { inlineData: { mimeType: string; data: string } };
}

/** True when `hostname` is on the allow-list (`host` exactly, or `*.domain` for its subdomains). */
export function isAllowedHost(hostname: string, allowList: readonly string[]): boolean {
  const host = hostname.toLowerCase();
  return allowList.some((entry) => (entry.startsWith("*.") ? host.endsWith(entry.slice(1)) : host === entry));
}

/**
 * Checks a remote image URL before anything is fetched: parseable, https, allow-listed, not an
 * internal host. Throws a 400 naming `param`.
 */
export function checkRemoteImageUrl(address: string, allowList: readonly string[], param: string): URL {
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
  return url;
}

/** True when `error` (or what it wraps: undici's "fetch failed" carries the cause) is a refused internal address. */
function isInternalAddressRefusal(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    if (current instanceof InternalAddressError || current.name === "InternalAddressError") return true;
  }
  return false;
}

/** The 400 for a fetch that failed; never the exception's own text (it may name internal hosts or addresses). */
function fetchFailure(error: unknown, param: string): OpenAiRequestError {
  if (error instanceof OpenAiRequestError) return error;
  if (isInternalAddressRefusal(error)) {
    return new OpenAiRequestError(`The host of '${param}' resolves to an internal address, which is never fetched.`, param, "image_url_not_allowed");
  }
  return new OpenAiRequestError(`Could not fetch the image at '${param}': the connection failed or it took longer than ${fetchTimeoutMs / 1000} s.`, param, "image_fetch_failed");
}

/**
 * Downloads one image of at most `limit` bytes; `tooLarge` words the refusal when it has more.
 * `fetcher` is the platform's fetch for remote images (on the self-host it refuses internal addresses).
 */
async function download(image: RemoteImage, limit: number, tooLarge: () => OpenAiRequestError, fetcher: typeof fetch): Promise<{ mimeType: string; data: string }> {
  const { param } = image;
  const signal = AbortSignal.timeout(fetchTimeoutMs);
  let response: Response;
  try {
    response = await fetcher(image.url.href, { redirect: "manual", signal });
  } catch (error) {
    throw fetchFailure(error, param);
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new OpenAiRequestError(`Fetching the image at '${param}' answered HTTP ${response.status} (redirects are not followed).`, param, "image_fetch_failed");
  }
  const mimeType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (!/^image\/[a-z0-9.+-]+$/.test(mimeType) || mimeType.length > maxMediaTypeLength) {
    await response.body?.cancel().catch(() => undefined);
    throw new OpenAiRequestError(`The URL at '${param}' is not an image (content-type ${mimeType.slice(0, maxMediaTypeLength) || "missing"}).`, param, "invalid_image_url");
  }
  // A declared length over the limit is refused at once; a smaller one is not trusted (counted below).
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  try {
    const bytes = await readAtMost(response.body, limit, tooLarge);
    return { mimeType, data: bytesToBase64(bytes) };
  } catch (error) {
    throw fetchFailure(error, param);
  }
}

/**
 * Fetches the remote images of one request, one after the other, into their parts. `room` is
 * how many bytes the upstream body may still grow by (MAX_BODY_BYTES minus the body without the
 * images); the images, base64-encoded with their media types, never take more than that.
 */
export async function fetchRemoteImages(images: readonly RemoteImage[], room: number, bodyLimit: number, fetcher: typeof fetch): Promise<void> {
  const extra = images[maxRemoteImages];
  if (extra) {
    throw new OpenAiRequestError(
      `A request may carry at most ${maxRemoteImages} remote image URLs, and this one has ${images.length}; send the others as data: URLs ('${extra.param}').`,
      extra.param,
      "too_many_remote_images",
    );
  }
  // Each image's media type is written into the body too; reserve room for the longest.
  let left = room - images.length * maxMediaTypeLength;
  for (const image of images) {
    const fitting = Math.max(0, Math.floor(left / 4) * 3);
    const limit = Math.min(maxImageBytes, fitting);
    const tooLarge =
      limit === maxImageBytes
        ? () => new OpenAiRequestError(`The image at '${image.param}' is larger than ${maxImageBytes} bytes.`, image.param, "image_too_large")
        : () =>
            new OpenAiRequestError(
              `The image at '${image.param}' does not fit: with the remote images before it, the request would be larger than gemrelay's limit of ${bodyLimit} bytes (MAX_BODY_BYTES).`,
              image.param,
              "request_too_large",
            );
    const inline = await download(image, limit, tooLarge, fetcher);
    left -= inline.data.length;
    image.part.inlineData = inline;
  }
}
