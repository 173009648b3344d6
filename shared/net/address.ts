/**
 * IP addresses as bytes: parsing (IPv4 dotted, IPv6 in every RFC 4291 spelling, IPv4-mapped IPv6
 * folded to IPv4), CIDR ranges and the prefix a client is throttled by. Pure functions, no
 * platform API, so the self-host and the worker read addresses the same way.
 */

/** An address as 4 (IPv4) or 16 (IPv6) bytes. */
export type IpBytes = Uint8Array;

/** A range of addresses: `network` masked to `prefix` bits. */
export interface IpRange {
  network: IpBytes;
  prefix: number;
}

function parseIpv4(text: string): IpBytes | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (const [index, part] of parts.entries()) {
    // Decimal only, no leading zeros: `010` is octal to some parsers and decimal to others.
    if (!/^(?:0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return null;
    bytes[index] = Number(part);
  }
  return bytes;
}

function parseIpv6(text: string): IpBytes | null {
  // An embedded IPv4 tail (`::ffff:1.2.3.4`, `64:ff9b::10.0.0.1`) stands for the last two groups.
  const lastColon = text.lastIndexOf(":");
  let spelled = text;
  if (text.slice(lastColon + 1).includes(".")) {
    const tail = parseIpv4(text.slice(lastColon + 1));
    if (tail === null) return null;
    const group = (high: number, low: number) => ((high << 8) | low).toString(16);
    spelled = `${text.slice(0, lastColon + 1)}${group(tail[0] ?? 0, tail[1] ?? 0)}:${group(tail[2] ?? 0, tail[3] ?? 0)}`;
  }
  const halves = spelled.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (part: string) => (part === "" ? [] : part.split(":"));
  const left = groupsOf(halves[0] ?? "");
  const right = halves.length === 2 ? groupsOf(halves[1] ?? "") : [];
  const present = left.length + right.length;
  // Without `::` all 8 groups are written; with it, it stands for at least one zero group.
  if (halves.length === 1 ? present !== 8 : present > 7) return null;
  const groups = [...left, ...Array<string>(8 - present).fill("0"), ...right];
  const bytes = new Uint8Array(16);
  for (const [index, group] of groups.entries()) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return null;
    const value = Number.parseInt(group, 16);
    bytes[index * 2] = value >> 8;
    bytes[index * 2 + 1] = value & 255;
  }
  return bytes;
}

/** True for `::ffff:a.b.c.d`, which is the IPv4 address a.b.c.d arriving on an IPv6 socket. */
function isMappedIpv4(bytes: IpBytes): boolean {
  return bytes.length === 16 && bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 255 && bytes[11] === 255;
}

/**
 * The bytes of an IPv4 or IPv6 address (brackets and an IPv6 zone such as `%eth0` allowed), with
 * IPv4-mapped IPv6 folded to its 4 IPv4 bytes; null when `text` is not an address.
 */
export function parseIpAddress(text: string): IpBytes | null {
  const trimmed = text.trim().replace(/^\[(.*)\]$/, "$1");
  if (trimmed.includes(":")) {
    const bytes = parseIpv6(trimmed.replace(/%[\w.-]+$/, ""));
    return bytes !== null && isMappedIpv4(bytes) ? bytes.slice(12) : bytes;
  }
  return parseIpv4(trimmed);
}

/** The canonical text of an address: dotted IPv4, or lower-case IPv6 groups without zero runs compressed. */
export function formatIpAddress(bytes: IpBytes): string {
  if (bytes.length === 4) return [...bytes].join(".");
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2) groups.push((((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0)).toString(16));
  return groups.join(":");
}

/** `10.0.0.0/8`, `fd00::/8` or a single address (a /32 or /128); null when malformed. */
export function parseIpRange(text: string): IpRange | null {
  const [address = "", prefixText, ...rest] = text.trim().split("/");
  if (rest.length > 0) return null;
  const network = parseIpAddress(address);
  if (network === null) return null;
  const bits = network.length * 8;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  // An IPv4-mapped range (`::ffff:10.0.0.0/104`) was folded to IPv4: its prefix shrinks by 96.
  const written = prefixText === undefined ? bits : Number(prefixText);
  const prefix = address.includes(":") && network.length === 4 ? written - 96 : written;
  if (prefix < 0 || prefix > bits) return null;
  return { network: masked(network, prefix), prefix };
}

/** `bytes` with every bit after the first `prefix` cleared. */
function masked(bytes: IpBytes, prefix: number): IpBytes {
  const result = new Uint8Array(bytes);
  for (let index = 0; index < result.length; index++) {
    const keep = Math.max(0, Math.min(8, prefix - index * 8));
    result[index] = (result[index] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return result;
}

/** True when `address` lies in `range` (an IPv4 address never lies in an IPv6 range, and back). */
export function rangeContains(range: IpRange, address: IpBytes): boolean {
  if (address.length !== range.network.length) return false;
  const candidate = masked(address, range.prefix);
  return candidate.every((byte, index) => byte === range.network[index]);
}

/**
 * What one client is counted as: its IPv4 address, or the /64 of an IPv6 address, since one
 * subscriber is usually given a whole /64 and could otherwise try from 2^64 addresses.
 */
export function clientPrefix(bytes: IpBytes): string {
  return bytes.length === 4 ? formatIpAddress(bytes) : `${formatIpAddress(masked(bytes, 64))}/64`;
}
