/**
 * The conformance suite against the Durable Object driver as deployed: SqlStore over
 * `ctx.storage.sql` of a SQLite-backed Durable Object, bundled with esbuild and run under workerd
 * through miniflare. Each test gets its own object (a fresh name); reopen restarts workerd on the
 * same persist directory, which proves the state is on disk.
 */

import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { remoteStore as sharedRemoteStore } from "../../shared/store/remote.ts";
import type { Store } from "../../shared/store/store.ts";
import { describeStoreConformance } from "./conformance.ts";

const here = dirname(fileURLToPath(import.meta.url));
let directory: string;
let scriptPath: string;
let miniflare: Miniflare;

function startMiniflare(): Miniflare {
  return new Miniflare({
    modules: true,
    scriptPath,
    // Module names are paths relative to modulesRoot (default: the cwd, the repo), and workerd
    // rejects names that climb out with "..", which a bundle under the temp dir would need.
    modulesRoot: directory,
    // Do not fetch the `request.cf` fixture from workers.cloudflare.com (offline, and slow).
    cf: false,
    compatibilityDate: "2025-09-01",
    durableObjects: { STORE: { className: "StoreHarness", useSQLite: true } },
    defaultPersistRoot: join(directory, "persist"),
  });
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "gemrelay-do-store-"));
  scriptPath = join(directory, "do-harness.js");
  await build({
    entryPoints: [join(here, "do-harness.ts")],
    outfile: scriptPath,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["cloudflare:workers"],
    logLevel: "silent",
  });
  miniflare = startMiniflare();
  await miniflare.ready;
});

afterAll(async () => {
  try {
    await miniflare?.dispose();
  } finally {
    if (directory) rmSync(directory, { recursive: true, force: true });
  }
});

/** A Store whose every call goes to the Durable Object named `name` through the harness worker. */
function remoteStore(name: string): Store {
  return sharedRemoteStore(async (method, args) => {
    const url = `http://store.test/call/${method}?name=${encodeURIComponent(name)}`;
    const response = await miniflare.dispatchFetch(url, { method: "POST", body: JSON.stringify(args) });
    const body = (await response.json()) as { result?: unknown; error?: string };
    if (!response.ok) throw new Error(`${method}: ${body.error ?? response.status}`);
    // JSON has no undefined: methods answering `undefined` arrive without `result`.
    return body.result;
  });
}

describeStoreConformance("Durable Object SQLite (workerd)", async () => {
  const name = randomUUID();
  return {
    store: remoteStore(name),
    reopen: async () => {
      await miniflare.dispose();
      miniflare = startMiniflare();
      await miniflare.ready;
      return remoteStore(name);
    },
    close: async () => {},
  };
});

describe("Durable Object SqlStore", () => {
  it("rolls back a failed batch as a whole (transactionSync)", async () => {
    const name = randomUUID();
    // Durable Object rows are limited to 2 MB, so the second insert fails after the first succeeded.
    const response = await miniflare.dispatchFetch(`http://store.test/call/addKeys?name=${name}`, {
      method: "POST",
      body: JSON.stringify([["a", "x".repeat(3_000_000)], 1]),
    });
    expect(response.status).toBe(500);
    expect(await response.text()).toMatch(/too big|too large|TOOBIG/i);
    expect(await remoteStore(name).listKeys()).toEqual([]);
  });

  it("keeps the state in SQLite files under the persist root", () => {
    const files = readdirSync(join(directory, "persist"), { recursive: true }).map(String);
    expect(files.some((file) => file.endsWith(".sqlite"))).toBe(true);
  });
});
