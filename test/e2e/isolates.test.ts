/**
 * Two worker isolates, one Durable Object: a cooldown learnt by one isolate reaches the other
 * through the Store within the snapshot refresh, without the object being on the pick path; budgets
 * are counted once for both, in the object.
 */
import path from "node:path";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { durableObject, repositoryRoot, workerCompatibilityDate } from "../../deploy/targets.ts";
import { GeminiSimulator } from "../sim/index.ts";
import { temporaryDirectory } from "../helpers/process.ts";

const accessKey = "sk-isolates-0123456789abcdef";
const adminKey = "admin-isolates-0123456789";
const scriptPath = path.join(repositoryRoot, "dist/worker/index.js");

describe("worker isolates sharing one PoolState", () => {
  let sim: GeminiSimulator;
  let miniflare: Miniflare;
  let keys: string[];

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    keys = [sim.createKey(), sim.createKey()];
    const bindings = { GEMINI_API_KEYS: keys.join(","), AUTH_KEY: accessKey, ADMIN_KEY: adminKey, GEMINI_UPSTREAM: sim.url, POOL_REFRESH_MS: "200" };
    const common = { modules: true, scriptPath, modulesRoot: path.dirname(scriptPath), compatibilityDate: workerCompatibilityDate, bindings };
    miniflare = new Miniflare({
      workers: [
        { ...common, name: "first", durableObjects: { [durableObject.binding]: { className: durableObject.className, useSQLite: true } } },
        { ...common, name: "second", durableObjects: { [durableObject.binding]: { className: durableObject.className, scriptName: "first", useSQLite: true } } },
      ],
      defaultPersistRoot: temporaryDirectory("gemrelay-isolates-"),
      cf: false,
    });
    await miniflare.ready;
  });

  afterAll(async () => {
    await miniflare?.dispose();
    await sim?.close();
  });

  async function generate(worker: "first" | "second", text: string, model = "gemini-2.5-flash"): Promise<number> {
    const fetcher = await miniflare.getWorker(worker);
    const response = await fetcher.fetch(`http://gemrelay.test/v1beta/models/${model}:generateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": accessKey },
      body: JSON.stringify({ contents: [{ parts: [{ text }] }] }),
    });
    await response.arrayBuffer();
    return response.status;
  }

  it("the second isolate skips a key the first one cooled, after its snapshot refresh", async () => {
    // Both isolates take their snapshot while both keys are healthy.
    for (let index = 0; index < 2; index++) {
      expect(await generate("first", `warm ${index}`)).toBe(200);
      expect(await generate("second", `warm ${index}`)).toBe(200);
    }
    const [limited] = keys as [string, string];
    sim.setKeyBehaviour(limited, "rate-limit-minute", { model: "gemini-2.5-flash", retryDelay: "60s" });
    sim.reset();
    for (let index = 0; index < 2; index++) expect(await generate("first", `cool ${index}`)).toBe(200);
    const refusals = () => sim.requests.filter((request) => request.key === limited && request.status === 429).length;
    expect(refusals()).toBe(1);

    // Let the snapshot age past POOL_REFRESH_MS; the next request refreshes it in the background.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const second = await miniflare.getWorker("second");
    const listed = await second.fetch("http://gemrelay.test/v1beta/models", { headers: { "x-goog-api-key": accessKey } });
    expect(listed.status).toBe(200);
    await listed.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Without the shared cooldown, round-robin would send every other request to the limited key.
    for (let index = 0; index < 10; index++) expect(await generate("second", `after ${index}`)).toBe(200);
    expect(refusals()).toBe(1);
  });

  it("counts budgets once for both isolates: together they never send a key more than its budget", async () => {
    const model = "gemini-2.5-flash-lite";
    const first = await miniflare.getWorker("first");
    const saved = await first.fetch("http://gemrelay.test/api/policy/budgets", {
      method: "PUT",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ enabled: true, freeTier: false, limits: { [model]: { rpm: 2 } } }),
    });
    expect(saved.status).toBe(200);
    await saved.arrayBuffer();
    // The second isolate reads the new budgets after its POOL_REFRESH_MS (200 ms): one read starts the refresh.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await generate("second", "refresh")).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    sim.reset();
    // Two keys × 2 RPM: four requests fit in the minute, whichever isolate sends them.
    const statuses = await Promise.all(Array.from({ length: 8 }, (_, index) => generate(index % 2 === 0 ? "first" : "second", `budget ${index}`, model)));
    expect(statuses.filter((status) => status === 200)).toHaveLength(4);
    expect(statuses.filter((status) => status === 429)).toHaveLength(4);
    expect(keys.map((key) => sim.requests.filter((request) => request.key === key).length)).toEqual([2, 2]);
  });
});
