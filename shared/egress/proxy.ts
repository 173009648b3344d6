/**
 * Proxy egresses (PROXY_URLS): HTTP(S) CONNECT and SOCKS5 proxies the self-host's requests to
 * Gemini leave through, each an egress like a relay. Here: parsing and the masked id; the
 * connections themselves are platform code (relays/node/proxy-fetch.ts).
 */
import { z } from "zod";

/** The proxy schemes the self-host can tunnel through. */
export const proxySchemes = ["http:", "https:", "socks5:", "socks5h:"] as const;

/** One proxy: its URL (with credentials, never shown), its masked id and its share of traffic. */
export interface ProxyTarget {
  /** The full URL, credentials included: goes to the dispatcher only. */
  url: string;
  /** `scheme://user:***@host:port`: the name in logs, /status and usage. */
  id: string;
  weight: number;
}

const proxyUrl = z.url({ message: "must be a URL such as socks5://user:password@host:1080" }).refine((value) => (proxySchemes as readonly string[]).includes(new URL(value).protocol), {
  message: `must use one of ${proxySchemes.map((scheme) => scheme.replace(":", "://")).join(", ")}`,
});

/** A proxy URL with its password masked and no path: `http://user:***@host:port`. */
export function proxyId(url: URL): string {
  const login = url.username !== "" || url.password !== "" ? `${url.username}${url.password !== "" ? ":***" : ""}@` : "";
  return `${url.protocol}//${login}${url.host}`;
}

/**
 * PROXY_URLS entries (`socks5h://user:pass@host:1080#weight=2`) as proxy targets. Throws naming
 * the entry's index, never its text (it holds a password).
 */
export function parseProxyList(entries: readonly string[]): ProxyTarget[] {
  return entries.map((entry, index) => {
    const [url = "", fragment = ""] = entry.split("#");
    const parsed = proxyUrl.safeParse(url);
    if (!parsed.success) throw new Error(`PROXY_URLS[${index}] ${parsed.error.issues[0]?.message ?? "is not a proxy URL"}`);
    const weight = Number(/(?:^|&)weight=(\d+(?:\.\d+)?)/.exec(fragment)?.[1] ?? 1);
    return { url, id: proxyId(new URL(url)), weight };
  });
}
