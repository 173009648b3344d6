/**
 * Test preload for the self-host (`NODE_OPTIONS=--import …/fake-dns.mjs`): `dns.lookup` answers
 * the names in GEMRELAY_TEST_FAKE_DNS (JSON `{ name: address }`) itself, as a resolver under an
 * attacker's control would (a public-looking name that resolves to 127.0.0.1), and every other
 * name as the system does. The bundle under test is unchanged; only the process's resolver lies.
 */
import dns from "node:dns";

const table = JSON.parse(process.env.GEMRELAY_TEST_FAKE_DNS ?? "{}");
const system = dns.lookup;

dns.lookup = function lookup(hostname, options, callback) {
  const done = typeof options === "function" ? options : callback;
  const settings = typeof options === "function" ? {} : typeof options === "number" ? { family: options } : (options ?? {});
  const address = table[hostname];
  if (address === undefined) return system.call(dns, hostname, options, callback);
  const family = address.includes(":") ? 6 : 4;
  process.nextTick(() => (settings.all ? done(null, [{ address, family }]) : done(null, address, family)));
  return {};
};
