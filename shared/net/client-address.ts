/**
 * Who sent a request, as far as the platform can vouch for it. Used to throttle wrong admin
 * credentials per client (admin/throttle.ts), so it must not be forgeable: a header is believed
 * only when the hop that set it is trusted.
 *
 * - Cloudflare: the edge sets `cf-connecting-ip` and overwrites any value a client sends.
 * - Self-host: the socket's peer address; `X-Forwarded-For` (else `X-Real-IP`) only when that
 *   peer is one of TRUSTED_PROXIES, read from the right so a client cannot prepend a fake hop.
 */
import type { Context } from "hono";
import { clientPrefix, parseIpAddress, parseIpRange, rangeContains, type IpBytes, type IpRange } from "./address.ts";

/** The client a request counts as: an address (an IPv6 /64), or `unknown`. Injected by each platform. */
export type ClientAddress = (c: Context) => string;

/** Used when a platform cannot tell clients apart: all of them count as one. */
export const unknownClient = "unknown";

/** Cloudflare's view: `cf-connecting-ip`, which only the edge can set. */
export const cloudflareClientAddress: ClientAddress = (c) => counted(parseIpAddress(c.req.header("cf-connecting-ip") ?? ""));

function counted(bytes: IpBytes | null): string {
  return bytes === null ? unknownClient : clientPrefix(bytes);
}

/** Reads TRUSTED_PROXIES (comma separated addresses or CIDRs); throws naming the entry that is neither. */
export function parseTrustedProxies(text: string | undefined): IpRange[] {
  const entries = (text ?? "").split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  return entries.map((entry) => {
    const range = parseIpRange(entry);
    if (range === null) throw new Error(`TRUSTED_PROXIES: "${entry}" is neither an IP address nor a CIDR range (e.g. 10.0.0.0/8, fd00::/8)`);
    return range;
  });
}

/**
 * The client behind `peer` (the socket's remote address): `peer` itself unless it is a trusted
 * proxy; then the nearest untrusted hop of `X-Forwarded-For` (proxies append, so the right end
 * was written by the proxy we trust and the left end by whoever connected to it), or
 * `X-Real-IP` when there is no `X-Forwarded-For`.
 */
export function forwardedClient(headers: Headers, peer: string | null, trusted: readonly IpRange[]): string {
  let current = parseIpAddress(peer ?? "");
  const isTrusted = (bytes: IpBytes) => trusted.some((range) => rangeContains(range, bytes));
  if (current === null || !isTrusted(current)) return counted(current);
  const forwarded = headers.get("x-forwarded-for");
  const hops = forwarded !== null ? forwarded.split(",").reverse() : [headers.get("x-real-ip") ?? ""];
  for (const hop of hops) {
    const next = parseIpAddress(hop);
    // Garbage in the chain: nothing left of it can be believed; the last trusted hop is what we know.
    if (next === null) break;
    current = next;
    if (!isTrusted(current)) break;
  }
  return counted(current);
}

/** A self-host's ClientAddress over `peerOf` (the platform's socket address of the request). */
export function proxiedClientAddress(trusted: readonly IpRange[], peerOf: (c: Context) => string | null | undefined): ClientAddress {
  return (c) => forwardedClient(c.req.raw.headers, peerOf(c) ?? null, trusted);
}
