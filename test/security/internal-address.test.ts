/**
 * Issue #14 finding 6: which hosts and resolved addresses count as internal. A table over every
 * range and spelling, URL hosts as `new URL` leaves them and raw resolver answers alike.
 */
import { describe, expect, it } from "vitest";
import { parseIpAddress } from "../../shared/net/address.ts";
import { ipv4Bytes, isInternalAddress, isInternalHost } from "../../shared/net/internal-address.ts";

/** Hosts as a client would write them in a URL: [spelling, internal?]. */
const urlHosts: [string, boolean][] = [
  // IPv4 ranges
  ["0.0.0.0", true],
  ["0.1.2.3", true],
  ["10.0.0.1", true],
  ["10.255.255.255", true],
  ["100.64.0.1", true],
  ["100.127.255.254", true],
  ["100.63.255.255", false],
  ["100.128.0.1", false],
  ["127.0.0.1", true],
  ["127.255.255.254", true],
  ["169.254.169.254", true],
  ["172.16.0.1", true],
  ["172.31.255.255", true],
  ["172.15.0.1", false],
  ["172.32.0.1", false],
  ["192.168.1.1", true],
  ["192.0.0.8", true],
  ["192.0.2.1", true],
  ["198.18.0.1", true],
  ["198.51.100.1", true],
  ["203.0.113.9", true],
  ["224.0.0.1", true],
  ["255.255.255.255", true],
  ["8.8.8.8", false],
  ["1.1.1.1", false],
  ["142.250.74.106", false],
  // IPv4 in other spellings
  ["2130706433", true],
  ["0x7f000001", true],
  ["0x7f.1", true],
  ["127.1", true],
  ["127.0.1", true],
  ["0177.0.0.1", true],
  ["017700000001", true],
  ["0", true],
  ["0x0a.0.0.1", true],
  ["134744072", false],
  ["0x08080808", false],
  // IPv6
  ["[::]", true],
  ["[::1]", true],
  ["[0:0:0:0:0:0:0:1]", true],
  ["[::7f00:1]", true],
  ["[::127.0.0.1]", true],
  ["[::808:808]", true],
  ["[::ffff:127.0.0.1]", true],
  ["[::ffff:7f00:1]", true],
  ["[::ffff:a00:1]", true],
  ["[::ffff:8.8.8.8]", false],
  ["[::ffff:0:7f00:1]", true],
  ["[64:ff9b::7f00:1]", true],
  ["[64:ff9b::127.0.0.1]", true],
  ["[64:ff9b::a9fe:a9fe]", true],
  ["[64:ff9b::808:808]", false],
  ["[64:ff9b:1::1]", true],
  ["[2002:7f00:1::]", true],
  ["[2002:c0a8:101::1]", true],
  ["[2002:808:808::1]", false],
  ["[2001::1]", true],
  ["[2001:db8::1]", true],
  ["[100::1]", true],
  ["[fc00::1]", true],
  ["[fd12:3456::1]", true],
  ["[fe80::1]", true],
  ["[febf::1]", true],
  ["[fec0::1]", true],
  ["[feff::1]", true],
  ["[ff02::1]", true],
  ["[2001:4860:4860::8888]", false],
  ["[2606:4700::1111]", false],
  // Names
  ["localhost", true],
  ["localhost.", true],
  ["LOCALHOST", true],
  ["a.localhost", true],
  ["printer.local", true],
  ["router.lan", true],
  ["box.localdomain", true],
  ["db.internal", true],
  ["metadata", true],
  ["metadata.google.internal", true],
  ["nas.home.arpa", true],
  ["1.0.0.127.in-addr.arpa", true],
  ["intranet", true],
  ["images.example.com", false],
  ["images.example.com.", false],
  ["0xdead.example.com", false],
  ["cdn.localhost.example.com", false],
];

describe("isInternalHost", () => {
  it.each(urlHosts)("%s → internal %s", (host, internal) => {
    expect(isInternalHost(new URL(`https://${host}/`).hostname)).toBe(internal);
    // The same answer for the raw spelling (without the URL parser's normalisation).
    expect(isInternalHost(host)).toBe(internal);
  });

  it("refuses numeric names that are no valid address", () => {
    for (const host of ["1.2.3.4.5", "999.1", "256.0.0.1", "a.0x1", "example.123"]) expect(isInternalHost(host), host).toBe(true);
  });
});

describe("isInternalAddress (what a resolver answers)", () => {
  it("classifies resolver output and refuses what is no address", () => {
    for (const address of ["127.0.0.1", "10.1.2.3", "::1", "::ffff:127.0.0.1", "fe80::1%eth0", "64:ff9b::a00:1", "not-an-address", "", "1::2::3", "1:2:3:4:5:6:7:8:9"]) {
      expect(isInternalAddress(address), address).toBe(true);
    }
    for (const address of ["8.8.8.8", "2001:4860:4860::8888", "::ffff:8.8.4.4"]) expect(isInternalAddress(address), address).toBe(false);
  });

  it("parses addresses exactly", () => {
    expect(ipv4Bytes("0x7f.1")).toEqual([127, 0, 0, 1]);
    expect(ipv4Bytes("2130706433")).toEqual([127, 0, 0, 1]);
    expect(ipv4Bytes("1.2.65535")).toEqual([1, 2, 255, 255]);
    expect(ipv4Bytes("1.2.65536")).toBeNull();
    expect(ipv4Bytes("4294967296")).toBeNull();
    expect([...parseIpAddress("::ffff:1.2.3.4")!]).toEqual([1, 2, 3, 4]);
    expect([...parseIpAddress("1:2:3:4:5:6:7:8")!]).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
    expect([...parseIpAddress("1:2:3:4:5:6:7::")!]).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0]);
    expect(parseIpAddress("1:2:3:4:5:6:7:8::")).toBeNull();
  });
});
