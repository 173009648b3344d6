/**
 * Which hosts and addresses are "this machine or a private network" and so never fetched on a
 * client's behalf (SSRF). Used twice for remote images: on the URL's host before connecting, and
 * by the self-host's connection lookup hook on every address a name resolves to (so that a
 * public-looking name that resolves, or rebinds, to 127.0.0.1 is refused too).
 */
import { parseIpAddress } from "./address.ts";

/** Host names that always mean "this machine" or a private network, whatever DNS says. */
const internalNames = /^(?:localhost|.*\.localhost|.*\.local|.*\.localdomain|.*\.internal|.*\.intranet|.*\.lan|.*\.home\.arpa|.*\.in-addr\.arpa|.*\.ip6\.arpa|metadata(?:\.google\.internal)?)$/;

/** Raised when a name resolves to an internal address (thrown by a platform's lookup hook). */
export class InternalAddressError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(`${host} resolves to ${address}, an internal address, which gemrelay never connects to for a client`);
    this.name = "InternalAddressError";
  }
}

/** One IPv4 part as WHATWG's URL parser reads it: decimal, `0x` hex or `0`-prefixed octal. */
function ipv4Part(part: string): number | null {
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
  if (/^0[0-7]+$/.test(part)) return Number.parseInt(part.slice(1), 8);
  if (/^(?:0|[1-9][0-9]*)$/.test(part)) return Number(part);
  return null;
}

/**
 * The four bytes of an IPv4 address in any spelling the URL parser and `inet_aton` accept
 * (`127.0.0.1`, `127.1`, `2130706433`, `0x7f.1`, `0177.0.0.1`), or null when `host` is not one.
 */
export function ipv4Bytes(host: string): number[] | null {
  const parts = host.replace(/\.$/, "").split(".");
  if (parts.length === 0 || parts.length > 4) return null;
  const numbers = parts.map(ipv4Part);
  if (numbers.some((value) => value === null)) return null;
  const values = numbers as number[];
  const last = values.pop() ?? 0;
  if (values.some((value) => value > 255) || last >= 256 ** (4 - values.length)) return null;
  const bytes = [...values];
  for (let index = 4 - values.length - 1; index >= 0; index--) bytes.push(Math.floor(last / 256 ** index) % 256);
  return bytes;
}

/** Loopback, private, link-local, CGNAT, benchmark, documentation, multicast, reserved, unspecified. */
function internalIpv4([a = 0, b = 0, c = 0]: readonly number[]): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 192 && b === 88 && c === 99) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113) ||
    a >= 224
  );
}

/** The IPv4 address in groups `high` and `high + 1`. */
function embeddedIpv4(groups: readonly number[], high: number): number[] {
  const first = groups[high] ?? 0;
  const second = groups[high + 1] ?? 0;
  return [first >> 8, first & 255, second >> 8, second & 255];
}

/**
 * IPv6 ranges that reach this machine, a private network or an internal IPv4 address:
 * unspecified and loopback, IPv4-compatible (`::7f00:1`), IPv4-mapped (`::ffff:0:0/96`) and
 * IPv4-translated over an internal IPv4, NAT64 (`64:ff9b::/96`) over an internal IPv4 and the
 * local-use NAT64 prefix, 6to4 (`2002::/16`) over an internal IPv4, Teredo, documentation,
 * discard-only, unique local (`fc00::/7`), site-local (`fec0::/10`), link-local (`fe80::/10`)
 * and multicast.
 */
function internalIpv6(groups: readonly number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0] = groups;
  const zeroUpTo = (count: number) => groups.slice(0, count).every((group) => group === 0);
  // ::/96 holds :: and ::1 and the deprecated IPv4-compatible form; nothing public lives there.
  if (zeroUpTo(6)) return true;
  if (zeroUpTo(5) && g5 === 0xffff) return internalIpv4(embeddedIpv4(groups, 6));
  if (zeroUpTo(4) && g4 === 0xffff && g5 === 0) return internalIpv4(embeddedIpv4(groups, 6));
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return internalIpv4(embeddedIpv4(groups, 6));
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return true;
  if (g0 === 0x2002) return internalIpv4(embeddedIpv4(groups, 1));
  if (g0 === 0x2001 && (g1 === 0 || g1 === 0xdb8)) return true;
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return true;
  return (g0 & 0xfe00) === 0xfc00 || (g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0 || (g0 & 0xff00) === 0xff00;
}

/**
 * True for an IP address (as a resolver returns it, or a URL host literal) in an internal range;
 * also true for anything that is not an address at all, so a parse failure never lets one through.
 */
export function isInternalAddress(address: string): boolean {
  const host = address.toLowerCase().replace(/^\[|\]$/g, "");
  if (host.includes(":")) {
    // IPv6 is read by the one strict parser (net/address.ts); IPv4-mapped addresses come back as IPv4.
    const bytes = parseIpAddress(host);
    if (bytes === null) return true;
    if (bytes.length === 4) return internalIpv4([...bytes]);
    const groups: number[] = [];
    for (let index = 0; index < 16; index += 2) groups.push(((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0));
    return internalIpv6(groups);
  }
  const bytes = ipv4Bytes(host);
  return bytes === null || internalIpv4(bytes);
}

/**
 * True when a URL host (name or literal, as `new URL().hostname` gives it, brackets and a
 * trailing dot allowed) is internal: an internal address in any spelling, a single-label name
 * (it resolves through the local search domain), or a name of a private namespace. A public-looking
 * name is false here; what it resolves to is checked when connecting (the self-host's lookup hook).
 */
export function isInternalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.+$/, "");
  if (host.includes(":")) return isInternalAddress(host);
  if (ipv4Bytes(host) !== null) return isInternalAddress(host);
  // A name ending in a number that is not a valid address (`1.2.3.4.5`, `999.1`, `a.0x1`) is
  // refused by URL parsers and resolved by some resolvers as an address anyway: never a public name.
  if (/(?:^|\.)(?:\d+|0x[0-9a-f]*)$/.test(host)) return true;
  return internalNames.test(host) || !host.includes(".");
}
