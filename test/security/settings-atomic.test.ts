/**
 * Issue #14, finding 9 (lost updates): concurrent read-modify-writes of a settings document keep
 * every edit. 50 concurrent `PATCH /api/keys/metadata` on the self-host (SQLite), the worker
 * under workerd (Durable Object) and two self-host instances sharing one Redis (the patches
 * alternate between them), each over real HTTP on the built bundles.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis, type RedisServer } from "../helpers/redis.ts";
import { startSelfHost, temporaryDirectory } from "../helpers/process.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";
import { GeminiSimulator } from "../sim/index.ts";

const adminKey = "admin-settings-atomic-0123456789";
const patches = 50;

/** A pool key id (16 hex digits) per patch; metadata may name ids the pool does not hold yet. */
const idOf = (index: number) => index.toString(16).padStart(16, "0");

/** One or more running instances of a deployment; patch `index` goes to instance `index % n`. */
interface Deployment {
  urls: string[];
  stop(): Promise<unknown>;
}

let redis: RedisServer | undefined;

const deployments: [string, (env: Record<string, string>) => Promise<Deployment>][] = [
  ...resumeWorkerTargets.map(([name, start]): [string, (env: Record<string, string>) => Promise<Deployment>] => [
    name,
    async (env) => {
      const target: Target = await start(env);
      return { urls: [target.url], stop: () => target.stop() };
    },
  ]),
  [
    "two self-hosts on one Redis",
    async (env) => {
      redis = await startRedis();
      const instances = await Promise.all(
        [0, 1].map(() => {
          const dataDir = temporaryDirectory();
          // A long refresh: each instance's cached copy stays stale, so only the Store can keep the edits.
          return startSelfHost({ ...env, DATA_DIR: dataDir, KEYS_FILE: join(dataDir, "keys.txt"), REDIS_URL: redis!.url, POOL_REFRESH_MS: "60000" });
        }),
      );
      return { urls: instances.map((instance) => instance.url), stop: async () => Promise.all(instances.map((instance) => instance.stop())).then(() => redis?.stop()) };
    },
  ],
];

describe.each(deployments)("concurrent settings patches on %s", (_name, start) => {
  let sim: GeminiSimulator;
  let deployment: Deployment;

  const admin = (index: number, path: string, method = "GET", body?: unknown) =>
    fetch(`${deployment.urls[index % deployment.urls.length]}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const metadata = async () => ((await (await admin(0, "/api/keys/metadata")).json()) as { policy: Record<string, Record<string, unknown>> }).policy;

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    deployment = await start({ ADMIN_KEY: adminKey, AUTH_KEY: "sk-settings-atomic-0123456789", GEMINI_UPSTREAM: sim.url, GEMINI_API_KEYS: sim.createKey() });
  }, 60_000);
  afterAll(async () => {
    await deployment?.stop();
    await sim?.close();
  });

  it("keeps all 50 of 50 concurrent PATCHes to different keys", async () => {
    const answers = await Promise.all(Array.from({ length: patches }, (_, index) => admin(index, "/api/keys/metadata", "PATCH", { keys: [{ id: idOf(index), note: `note ${index}` }] })));
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    const stored = await metadata();
    for (let index = 0; index < patches; index++) expect(stored[idOf(index)], `key ${index}`).toEqual({ note: `note ${index}` });
  });

  it("merges concurrent PATCHes to fields of the same keys", async () => {
    // Patch i sets the group of key i and the weight of key i+1: every entry gets two writers.
    const answers = await Promise.all(
      Array.from({ length: patches }, (_, index) =>
        admin(index + 1, "/api/keys/metadata", "PATCH", { keys: [{ id: idOf(index), group: `project-${index}` }, { id: idOf((index + 1) % patches), weight: index + 1 }] }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    const stored = await metadata();
    for (let index = 0; index < patches; index++) {
      const writer = (index + patches - 1) % patches;
      expect(stored[idOf(index)], `key ${index}`).toEqual({ note: `note ${index}`, group: `project-${index}`, weight: writer + 1 });
    }
  });

  it("a PUT that replaces the document is not undone by a later PATCH working from a stale copy", async () => {
    expect((await admin(0, "/api/keys/metadata", "PUT", { [idOf(1)]: { note: "only" } })).status).toBe(200);
    // On the Redis deployment this goes to the other instance, whose copy still holds 50 entries.
    expect((await admin(1, "/api/keys/metadata", "PATCH", { keys: [{ id: idOf(2), note: "second" }] })).status).toBe(200);
    expect(await metadata()).toEqual({ [idOf(1)]: { note: "only" }, [idOf(2)]: { note: "second" } });
  });
});
