/**
 * `gemrelay dev` end to end: the CLI builds the bundles, starts the worker under workerd and each
 * relay under Node, prints the URLs, serves a request through the chain, and on SIGTERM stops
 * every child (no port left open). Also `startDevChain` in-process with ephemeral ports.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevChain } from "../../deploy/dev.ts";
import { parseManifest } from "../../deploy/manifest.ts";
import {
  type CliProcess,
  freePortBlock,
  portClosed,
  processAlive,
  runCli,
  startFakeUpstream,
  temporaryFolder,
  writeManifest,
} from "./support.ts";

const accessKey = "sk-dev-access-0123456789abcdef";
const poolKey = "AIza" + "DevPoolKey0123456789abcdefghijklmno";
const relayToken = "rt-dev-0123456789abcdef0123456789";

describe("gemrelay dev (CLI)", () => {
  const folder = temporaryFolder();
  let upstream: Awaited<ReturnType<typeof startFakeUpstream>>;
  let cli: CliProcess;
  let port: number;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    port = await freePortBlock(3);
    const manifestFile = writeManifest(folder.path, {
      name: "devchain",
      worker: { name: "devchain" },
      relays: [
        // Each relay calls upstream under its own prefix, so the test sees which hop was used.
        { id: "nf", platform: "netlify", region: "fra", upstream: `${upstream.url}/hop/nf` },
        { id: "vc", platform: "vercel", region: "sfo1" },
      ],
      secrets: { AUTH_KEY: "DEV_ACCESS_KEYS" },
    });
    cli = runCli(
      ["dev", "--port", String(port), "--manifest", manifestFile, "--state-dir", path.join(folder.path, "state"), "--out-dir", path.join(folder.path, "dist")],
      {
        GEMINI_UPSTREAM: `${upstream.url}/hop/chain`,
        DEV_ACCESS_KEYS: accessKey,
        ADMIN_KEY: "admin-dev-0123456789abcdef",
        GEMINI_API_KEYS: poolKey,
        RELAY_TOKEN: relayToken,
      },
    );
    await cli.waitFor(/Ctrl-C stops everything/);
  }, 90_000);

  afterAll(async () => {
    if (cli && cli.child.exitCode === null) {
      cli.child.kill("SIGKILL");
      await cli.exited;
    }
    await upstream?.close();
    folder.cleanup();
  });

  it("prints the worker and relay URLs on consecutive ports, and no secret", () => {
    const output = cli.output();
    expect(output).toMatch(new RegExp(`worker\\s+devchain\\s+workerd\\s+-\\s+http://127\\.0\\.0\\.1:${port}\\n`));
    expect(output).toMatch(new RegExp(`relay\\s+nf\\s+netlify\\s+fra\\s+http://127\\.0\\.0\\.1:${port + 1}\\n`));
    expect(output).toMatch(new RegExp(`relay\\s+vc\\s+vercel\\s+sfo1\\s+http://127\\.0\\.0\\.1:${port + 2}\\n`));
    for (const secret of [accessKey, poolKey, relayToken]) expect(output).not.toContain(secret);
  });

  it("serves /health on the worker and on every relay, each relay reporting its platform and region", async () => {
    const worker = await fetch(`http://127.0.0.1:${port}/health`);
    expect(worker.status).toBe(200);
    expect(JSON.stringify(await worker.json())).not.toContain(accessKey);
    expect(await (await fetch(`http://127.0.0.1:${port + 1}/health`)).json()).toMatchObject({ ok: true, platform: "netlify", region: "fra" });
    expect(await (await fetch(`http://127.0.0.1:${port + 2}/health`)).json()).toMatchObject({ ok: true, platform: "vercel", region: "sfo1" });
  });

  it("relays require the hop secret the worker was given", async () => {
    const url = `http://127.0.0.1:${port + 1}/v1beta/models`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { "x-relay-token": "wrong" } })).status).toBe(401);
    const before = upstream.requests.length;
    expect((await fetch(url, { headers: { "x-relay-token": relayToken, "x-goog-api-key": poolKey } })).status).toBe(200);
    expect(upstream.requests.slice(before).map((request) => request.url)).toEqual(["/hop/nf/v1beta/models"]);
  });

  it("answers a Gemini request through worker → relay → upstream with a pool key, on both relays in turn", async () => {
    const before = upstream.requests.length;
    for (let index = 0; index < 2; index++) {
      const response = await fetch(`http://127.0.0.1:${port}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-goog-api-key": accessKey },
        body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "ping" }] }] }),
      });
      expect(response.status).toBe(200);
      expect(JSON.stringify(await response.json())).toContain("pong");
    }
    const seen = upstream.requests.slice(before);
    // The relay with its own upstream uses it; the other gets GEMINI_UPSTREAM from the environment.
    expect(seen.map((request) => request.url.split("/v1beta/")[0]).sort()).toEqual(["/hop/chain", "/hop/nf"]);
    for (const request of seen) {
      expect(request.headers["x-goog-api-key"]).toBe(poolKey);
      expect(request.url).not.toContain(poolKey);
      expect(request.headers["x-relay-token"]).toBeUndefined();
    }
  });

  it("stops every child on SIGTERM and exits 0, leaving no port open and the Durable Object state on disk", async () => {
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain("gemrelay dev: stopped");
    for (const offset of [0, 1, 2]) expect(await portClosed(port + offset)).toBe(true);
    const stateDir = path.join(folder.path, "state");
    expect(existsSync(stateDir)).toBe(true);
    expect(readdirSync(stateDir)).toContain("do");
    // It holds the pool keys: for this user only (issue #14, files at rest).
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
  });
});

describe("gemrelay dev (CLI errors)", () => {
  it("fails before building when the manifest is invalid, naming the field", async () => {
    const folder = temporaryFolder();
    try {
      const manifestFile = writeManifest(folder.path, {
        name: "bad",
        worker: { name: "bad" },
        relays: [{ id: "hk", platform: "vercel", region: "hkg1" }],
      });
      const cli = runCli(["dev", "--port", "0", "--manifest", manifestFile, "--out-dir", path.join(folder.path, "dist")], {});
      expect(await cli.exited).toBe(2);
      expect(cli.output()).toMatch(/relays\[0\]\.region: vercel region "hkg1" \(Hong Kong\) is refused/);
      expect(existsSync(path.join(folder.path, "dist"))).toBe(false);
    } finally {
      folder.cleanup();
    }
  }, 30_000);

  it("rejects a bad --port with the command's usage", async () => {
    const cli = runCli(["dev", "--port", "eighty"], {});
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toMatch(/--port must be a port number[\s\S]*Usage: gemrelay dev/);
  }, 30_000);
});

describe("startDevChain (in-process, ephemeral ports, reusing dist/)", () => {
  it("starts on port 0, generates a relay token when none is set, and close() stops every process", async () => {
    const folder = temporaryFolder();
    const upstream = await startFakeUpstream();
    const lines: string[] = [];
    try {
      const manifest = parseManifest({
        name: "ephemeral",
        worker: { name: "ephemeral" },
        relays: [
          { id: "a", platform: "netlify", region: "cmh" },
          { id: "b", platform: "netlify", region: "lhr" },
          { id: "c", platform: "vercel", region: "iad1" },
        ],
      });
      const chain = await startDevChain({
        manifest,
        port: 0,
        env: { GEMINI_UPSTREAM: upstream.url },
        outDir: path.join(folder.path, "dist"),
        stateDir: path.join(folder.path, "state"),
        log: (line) => lines.push(line),
      });
      try {
        expect(chain.relayToken).toMatch(/^rt-[A-Za-z0-9_-]{32}$/);
        expect(chain.relays.map((relay) => [relay.id, relay.platform, relay.region, relay.upstream])).toEqual([
          ["a", "netlify", "cmh", upstream.url],
          ["b", "netlify", "lhr", upstream.url],
          ["c", "vercel", "iad1", upstream.url],
        ]);
        const ports = new Set([chain.workerUrl, ...chain.relays.map((relay) => relay.url)].map((url) => new URL(url).port));
        expect(ports.size).toBe(4);
        for (const relay of chain.relays) {
          expect(await (await fetch(`${relay.url}/health`)).json()).toMatchObject({ platform: relay.platform, region: relay.region });
        }
      } finally {
        await chain.close();
        await chain.close();
      }
      for (const pid of [chain.workerPid, ...chain.relays.map((relay) => relay.pid)]) expect(processAlive(pid)).toBe(false);
      for (const url of [chain.workerUrl, ...chain.relays.map((relay) => relay.url)]) expect(await portClosed(Number(new URL(url).port))).toBe(true);
      expect(lines.join("\n")).not.toContain(chain.relayToken);
    } finally {
      await upstream.close();
      folder.cleanup();
    }
  }, 90_000);
});
