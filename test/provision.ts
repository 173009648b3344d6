/**
 * What a fresh machine lacks for `npm test`, provided once before the suites (vitest globalSetup):
 * Debian's `redis-server` for the Redis suites. When it is missing and the run is root with
 * apt-get (a fresh Debian machine, CI), it is installed from Debian's package (≈20 s); otherwise
 * the Redis suites fail with one line saying what to install (test/helpers/redis.ts). Chromium
 * needs nothing here: test/helpers/chromium.ts falls back to the one @sparticuz/chromium ships.
 */
import { spawnSync } from "node:child_process";

function installed(command: string): boolean {
  return spawnSync(command, ["--version"], { stdio: "ignore" }).status === 0;
}

/** Installs `redis-server` from Debian's packages when missing and possible; returns a note or null. */
export function provisionRedis(): string | null {
  if (installed("redis-server")) return null;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (!root || !installed("apt-get")) return "redis-server is not installed and this is not a root Debian run: apt-get install -y redis-server, or the Redis suites fail";
  const run = (args: string[]) => spawnSync("apt-get", args, { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, timeout: 300_000 }).status === 0;
  const ok = (installed("apt-cache") && spawnSync("apt-cache", ["show", "redis-server"], { stdio: "ignore" }).status === 0) || run(["update", "-qq"]);
  if (!ok || !run(["install", "-y", "-qq", "--no-install-recommends", "redis-server"]) || !installed("redis-server")) {
    return "could not install redis-server with apt-get: install it by hand (apt-get install -y redis-server), or the Redis suites fail";
  }
  return "installed redis-server from Debian's packages for the Redis suites";
}
