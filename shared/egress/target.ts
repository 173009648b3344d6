/**
 * Where an egress relay sends a request: the upstream URL (path from the Gemini version segment
 * on, query kept verbatim minus `key` and platform-internal parameters) and the Gemini key the
 * client presented, wherever it put it.
 */
import { parseGeminiPath } from "../gemini/paths.ts";

/**
 * Query parameters never forwarded upstream:
 * - `key`: the Gemini key travels in a header instead, so it never lands in URL logs.
 * - `_path`: Netlify redirect/rewrite setups pass the original path this way (REFERENCE.md §4).
 * - `path`, `...path`: Vercel appends named rewrite captures the destination does not use to the
 *   query (e.g. `/:path*`, or a `[...path]` file route), see
 *   https://vercel.com/docs/project-configuration/vercel-json#rewrites. Gemini has no such
 *   parameter (its system parameters are `alt`, `$fields`, `pageSize`, `pageToken`, `upload_*`…).
 */
export const droppedQueryParameters: ReadonlySet<string> = new Set(["key", "_path", "path", "...path"]);

/** True for paths of Gemini's OpenAI-compatible surface, which authenticates with `Authorization`. */
export function isOpenAiPath(geminiPath: string): boolean {
  return geminiPath === "/v1beta/openai" || geminiPath.startsWith("/v1beta/openai/");
}

function decodeName(rawName: string): string {
  try {
    return decodeURIComponent(rawName.replace(/\+/g, " "));
  } catch {
    return rawName;
  }
}

/**
 * The query string to forward, with a leading `?` (or empty). Works on the raw string rather than
 * URLSearchParams so the kept parameters stay byte-for-byte as the client encoded them.
 */
export function forwardedQuery(search: string): string {
  const raw = search.startsWith("?") ? search.slice(1) : search;
  if (raw.length === 0) return "";
  const kept = raw.split("&").filter((part) => {
    if (part.length === 0) return false;
    const rawName = part.split("=", 1)[0] ?? "";
    return !droppedQueryParameters.has(decodeName(rawName));
  });
  return kept.length > 0 ? `?${kept.join("&")}` : "";
}

/**
 * Joins `upstream` (which may carry a path prefix, e.g. `https://hop.example/relay/a/`) and a
 * Gemini path without doubling slashes. Any query or fragment on `upstream` is ignored.
 */
export function joinUpstream(upstream: string, geminiPath: string, query: string): string {
  return `${upstreamBase(upstream)}${geminiPath}${query}`;
}

/** The last upstream's origin and path prefix: a process or isolate calls one upstream, on every request. */
let lastBase = { upstream: "", base: "" };

function upstreamBase(upstream: string): string {
  if (lastBase.upstream !== upstream) {
    const url = new URL(upstream);
    lastBase = { upstream, base: url.origin + url.pathname.replace(/\/+$/, "") };
  }
  return lastBase.base;
}

/** The Gemini path (from the version segment on) of a request URL, or null for other paths. */
export function geminiPathOf(url: URL): string | null {
  return parseGeminiPath(url.pathname)?.path ?? null;
}

/**
 * The Gemini key a client presented: `x-goog-api-key`, else `?key=`, else `Authorization: Bearer`
 * (the way GPT-Load and OpenAI SDKs send it). Undefined when there is none; Gemini then answers
 * with its own authentication error.
 */
export function presentedKey(headers: Headers, url: URL): string | undefined {
  const header = headers.get("x-goog-api-key")?.trim();
  if (header) return header;
  const query = url.searchParams.get("key")?.trim();
  if (query) return query;
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.get("authorization")?.trim() ?? "");
  return bearer?.[1]?.trim() || undefined;
}
