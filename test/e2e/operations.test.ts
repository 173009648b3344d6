/**
 * Issue 9, operations: the model policy (disabled models, aliases, defaults, injected system
 * instructions, model lists) through the native and OpenAI APIs, and per key × model budgets
 * (burst at the pool's capacity, per-day budgets until the next Pacific midnight, key groups),
 * on the self-host bundle and the worker bundle under workerd, against the simulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { nextPacificMidnight } from "../../shared/gemini/classify.ts";
import { poolKeyId } from "../../shared/keys/identity.ts";
import { GeminiSimulator } from "../sim/index.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";

const accessKey = "sk-operations-access-0123456789";
const adminKey = "admin-operations-0123456789";

interface Recorded {
  model: string | null;
  body: { systemInstruction?: { parts: { text: string }[] }; generationConfig?: Record<string, unknown>; safetySettings?: unknown };
}

describe.each(resumeWorkerTargets)("operations on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Target;
  let keys: string[];

  const admin = (path: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${target.url}${path}`, {
      method: init.method ?? "GET",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  const native = (model: string, body: Record<string, unknown> = {}) =>
    fetch(`${target.url}/v1beta/models/${model}:generateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": accessKey },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hello" }] }], ...body }),
    });
  const chat = (model: string, extra: Record<string, unknown> = {}) =>
    fetch(`${target.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${accessKey}` },
      body: JSON.stringify({ model, messages: [{ role: "system", content: "Client says" }, { role: "user", content: "hello" }], ...extra }),
    });
  const lastGenerate = (): Recorded => {
    const generateRequests = sim.requests.filter((request) => request.path.includes(":streamGenerateContent"));
    return generateRequests[generateRequests.length - 1] as unknown as Recorded;
  };

  beforeAll(async () => {
    sim = await GeminiSimulator.start({ chunkChars: 64 });
    keys = sim.createKeys(3);
    target = await startTarget({
      AUTH_KEY: accessKey,
      ADMIN_KEY: adminKey,
      GEMINI_UPSTREAM: sim.url,
      GEMINI_API_KEYS: keys.join(","),
      MODEL_POLICY: JSON.stringify({ disabled: ["gemini-3-pro-preview"] }),
      ROUTING_KEY_STRATEGY: "round-robin",
      USAGE_FLUSH_MS: "50",
    });
  });
  beforeEach(() => sim.reset());
  afterAll(async () => {
    await target?.stop();
    await sim?.close();
  });

  describe("model policy", () => {
    const policy = {
      disabled: ["gemini-2.5-pro"],
      aliases: { "my-fast": "gemini-2.5-flash" },
      defaults: {
        "gemini-2.5-flash": { thinking: 512, includeThoughts: true, safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }] },
      },
      instructions: [
        { text: "Be brief.", position: "prepend", model: "gemini-2.5-flash" },
        { text: "Signed by the relay.", position: "append", accessKey: "env" },
      ],
    };

    it("starts from MODEL_POLICY and validates edits, naming the field", async () => {
      await admin("/api/policy/models", { method: "DELETE" });
      const current = (await (await admin("/api/policy/models")).json()) as { policy: { disabled: string[] }; edited: boolean };
      expect(current).toMatchObject({ policy: { disabled: ["gemini-3-pro-preview"] }, edited: false });
      const bad = await admin("/api/policy/models", { method: "PUT", body: { defaults: { "gemini-2.5-flash": { thinking: "lots" } } } });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain("defaults.gemini-2.5-flash.thinking");
      const saved = await admin("/api/policy/models", { method: "PUT", body: policy });
      expect(saved.status).toBe(200);
    });

    it("applies alias, defaults and injected instructions to native requests", async () => {
      const response = await native("my-fast", { systemInstruction: { parts: [{ text: "Client says" }] } });
      expect(response.status).toBe(200);
      const sent = lastGenerate();
      expect(sent.model).toBe("gemini-2.5-flash");
      expect(sent.body.generationConfig?.thinkingConfig).toEqual({ thinkingBudget: 512, includeThoughts: true });
      expect(sent.body.safetySettings).toEqual([{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }]);
      expect(sent.body.systemInstruction?.parts.map((part) => part.text)).toEqual(["Be brief.", "Client says", "Signed by the relay."]);

      // What the request sets itself is kept.
      await native("gemini-2.5-flash", { generationConfig: { thinkingConfig: { thinkingBudget: 0 } } });
      expect(lastGenerate().body.generationConfig?.thinkingConfig).toEqual({ thinkingBudget: 0, includeThoughts: true });
    });

    it("applies alias, defaults and injected instructions to OpenAI requests", async () => {
      const response = await chat("my-fast");
      expect(response.status).toBe(200);
      expect(((await response.json()) as { model: string }).model).toBe("my-fast");
      const sent = lastGenerate();
      expect(sent.model).toBe("gemini-2.5-flash");
      expect(sent.body.generationConfig?.thinkingConfig).toMatchObject({ thinkingBudget: 512, includeThoughts: true });
      expect(sent.body.safetySettings).toEqual([{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }]);
      expect(sent.body.systemInstruction?.parts.map((part) => part.text)).toEqual(["Be brief.", "Client says", "Signed by the relay."]);
    });

    it("refuses disabled models in each protocol's error shape without calling upstream", async () => {
      const refused = await native("gemini-2.5-pro");
      expect(refused.status).toBe(404);
      expect(((await refused.json()) as { error: { status: string; message: string } }).error).toMatchObject({ status: "NOT_FOUND", message: expect.stringContaining("disabled") });
      const openai = await chat("gemini-2.5-pro");
      expect(openai.status).toBe(404);
      expect(((await openai.json()) as { error: { message: string } }).error.message).toContain("disabled");
      const counted = await fetch(`${target.url}/v1beta/models/gemini-2.5-pro:countTokens`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-goog-api-key": accessKey },
        body: JSON.stringify({ contents: [{ parts: [{ text: "x" }] }] }),
      });
      expect(counted.status).toBe(404);
      expect(sim.requests).toHaveLength(0);
    });

    it("reflects the policy in the native and OpenAI model lists", async () => {
      const nativeList = (await (await fetch(`${target.url}/v1beta/models`, { headers: { "x-goog-api-key": accessKey } })).json()) as { models: { name: string }[] };
      const names = nativeList.models.map((model) => model.name);
      expect(names).toContain("models/my-fast");
      expect(names).toContain("models/gemini-2.5-flash");
      expect(names).not.toContain("models/gemini-2.5-pro");
      const openaiList = (await (await fetch(`${target.url}/v1/models`, { headers: { authorization: `Bearer ${accessKey}` } })).json()) as { data: { id: string }[] };
      const ids = openaiList.data.map((model) => model.id);
      expect(ids).toContain("my-fast");
      expect(ids).not.toContain("gemini-2.5-pro");
      await admin("/api/policy/models", { method: "DELETE" });
    });
  });

  describe("budgets", () => {
    afterAll(async () => {
      await admin("/api/policy/budgets", { method: "DELETE" });
      await admin("/api/keys/metadata", { method: "DELETE" });
    });

    it("serves a burst at the pool's capacity without any key exceeding its per-minute budget", async () => {
      for (const key of keys) sim.setKeyLimits(key, { requestsPerMinute: 2 });
      const saved = await admin("/api/policy/budgets", { method: "PUT", body: { enabled: true, limits: { "gemini-2.5-flash": { rpm: 2 } } } });
      expect(saved.status).toBe(200);
      const answers = await Promise.all(Array.from({ length: 9 }, () => native("gemini-2.5-flash")));
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429, 429]);
      const refused = (await answers.find((answer) => answer.status === 429)!.json()) as { error: { details: { retryDelay?: string }[] } };
      const delay = Number(refused.error.details.find((detail) => detail.retryDelay)?.retryDelay?.replace("s", ""));
      expect(delay).toBeGreaterThan(0);
      expect(delay).toBeLessThanOrEqual(60);
      const counts = sim.countsPerKey({ windowMs: 60_000 });
      for (const key of keys) expect(counts[key]).toBe(2);
      expect(sim.requests.every((request) => request.path.includes("gemini-2.5-flash"))).toBe(true);

      const view = (await (await admin("/api/budgets?model=gemini-2.5-flash")).json()) as { models: { summary: string; remainingPerMinute: number; requestsPerMinute: number }[] };
      expect(view.models[0]).toMatchObject({ summary: "3 keys × 2 RPM = 6 RPM", requestsPerMinute: 6, remainingPerMinute: 0 });
      for (const key of keys) sim.setKeyLimits(key, {});
    });

    it("counts keys of one group together and stops them until the next Pacific midnight", async () => {
      const ids = await Promise.all(keys.map(poolKeyId));
      const grouped = await admin("/api/keys/metadata", { method: "PATCH", body: { keys: ids.map((id) => ({ id, group: "project-a", note: "shared project" })) } });
      expect(grouped.status).toBe(200);
      await admin("/api/policy/budgets", { method: "PUT", body: { enabled: true, limits: { "gemini-2.5-flash-lite": { rpd: 3 } } } });
      for (let index = 0; index < 3; index++) expect((await native("gemini-2.5-flash-lite")).status).toBe(200);
      const stopped = await native("gemini-2.5-flash-lite");
      expect(stopped.status).toBe(429);
      const body = (await stopped.json()) as { error: { details: { retryDelay?: string }[] } };
      const delay = Number(body.error.details.find((detail) => detail.retryDelay)?.retryDelay?.replace("s", ""));
      const expected = (nextPacificMidnight(Date.now()) - Date.now()) / 1_000;
      expect(Math.abs(delay - expected)).toBeLessThan(10);
      expect(sim.requests).toHaveLength(3);

      const status = (await (await fetch(`${target.url}/status`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as {
        budgets: { models: { model: string; groups: number; keys: { blockedUntil: number | null }[] }[] };
      };
      const lite = status.budgets.models.find((entry) => entry.model === "gemini-2.5-flash-lite");
      expect(lite?.groups).toBe(1);
      for (const key of lite?.keys ?? []) expect(Math.abs((key.blockedUntil ?? 0) - nextPacificMidnight(Date.now()))).toBeLessThan(10_000);
    });

    it("holds a group back for the rest of the minute once its input tokens per minute are spent", async () => {
      // Still one group (previous test); 1 token per minute: the first answer spends it.
      await admin("/api/policy/budgets", { method: "PUT", body: { enabled: true, freeTier: false, limits: { "gemini-2.5-pro": { tpm: 1 } } } });
      expect((await native("gemini-2.5-pro")).status).toBe(200);
      let status = 0;
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && status !== 429) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const view = (await (await admin("/api/budgets?model=gemini-2.5-pro")).json()) as { models: { keys: { tokensMinute: number }[] }[] };
        if ((view.models[0]?.keys[0]?.tokensMinute ?? 0) > 0) status = (await native("gemini-2.5-pro")).status;
      }
      expect(status).toBe(429);
      expect(sim.requests).toHaveLength(1);
    });

    it("learns the limits Gemini names in its 429s and budgets with them", async () => {
      await admin("/api/keys/metadata", { method: "DELETE" });
      // The free-tier table says 10 RPM for gemini-2.5-flash; these keys' projects allow 1 (the day's budget is set high: earlier tests spent the table's 20).
      await admin("/api/policy/budgets", { method: "PUT", body: { enabled: true, limits: { "gemini-2.5-flash": { rpd: 1_000 } } } });
      for (const key of keys) sim.setKeyLimits(key, { requestsPerMinute: 1 });
      try {
        for (let index = 0; index < 3; index++) expect((await native("gemini-2.5-flash")).status).toBe(200);
        expect((await native("gemini-2.5-flash")).status).toBe(429);
        const ids = await Promise.all(keys.map(poolKeyId));
        let learned: Record<string, Record<string, unknown>> = {};
        const deadline = Date.now() + 5_000;
        while (Date.now() < deadline && Object.keys(learned).length < 3) {
          learned = ((await (await admin("/api/policy/budgets/learned")).json()) as { policy: typeof learned }).policy;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(learned).toEqual(Object.fromEntries(ids.map((id) => [`key:${id}`, { "gemini-2.5-flash": { rpm: 1 } }])));
        const view = (await (await admin("/api/budgets?model=gemini-2.5-flash")).json()) as { models: { summary: string; keys: { limits: unknown }[] }[] };
        expect(view.models[0]?.summary).toBe("3 keys × 1 RPM = 3 RPM");
        for (const entry of view.models[0]?.keys ?? []) expect(entry.limits).toEqual({ rpm: 1, tpm: 250_000, rpd: 1_000 });
        // Explicit limits still win over learned ones; DELETE forgets what was learned.
        await admin("/api/policy/budgets", { method: "PUT", body: { enabled: true, limits: { "gemini-2.5-flash": { rpm: 4, rpd: 1_000 } } } });
        const explicit = (await (await admin("/api/budgets?model=gemini-2.5-flash")).json()) as { models: { summary: string }[] };
        expect(explicit.models[0]?.summary).toBe("3 keys × 4 RPM = 12 RPM");
        expect((await admin("/api/policy/budgets/learned", { method: "DELETE" })).status).toBe(200);
        expect(((await (await admin("/api/policy/budgets/learned")).json()) as { policy: unknown }).policy).toEqual({});
      } finally {
        for (const key of keys) sim.setKeyLimits(key, {});
        await admin("/admin/reset-keys", { method: "POST", body: {} });
        await admin("/api/policy/budgets", { method: "DELETE" });
      }
    });
  });

  describe("key metadata", () => {
    it("edits note, weight and group one by one and in bulk, shown with the keys", async () => {
      const ids = await Promise.all(keys.map(poolKeyId));
      const bad = await admin("/api/keys/metadata", { method: "PATCH", body: { keys: [{ id: ids[0], weight: -1 }] } });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain("keys[0].weight");
      expect((await admin("/api/keys/metadata", { method: "PATCH", body: { keys: [{ id: ids[0], note: "billing account A", weight: 3 }] } })).status).toBe(200);
      expect((await admin("/api/keys/metadata", { method: "PATCH", body: { keys: ids.map((id) => ({ id, group: "project-b" })) } })).status).toBe(200);
      const listed = (await (await admin("/api/keys")).json()) as { keys: { id: string; metadata: Record<string, unknown> }[] };
      expect(listed.keys.find((key) => key.id === ids[0])?.metadata).toEqual({ note: "billing account A", weight: 3, group: "project-b" });
      expect(listed.keys.find((key) => key.id === ids[1])?.metadata).toEqual({ group: "project-b" });

      // The enabled flag, in bulk: disabled keys are not picked, enabling brings them back.
      expect((await admin("/api/keys/metadata", { method: "PATCH", body: { keys: [{ id: ids[1], enabled: false }, { id: ids[2], enabled: false }] } })).status).toBe(200);
      for (let index = 0; index < 4; index++) expect((await native("gemini-2.5-flash")).status).toBe(200);
      expect(new Set(sim.requests.map((request) => request.key))).toEqual(new Set([keys[0]]));
      expect((await admin("/api/keys/metadata", { method: "PATCH", body: { keys: ids.map((id) => ({ id, enabled: true })) } })).status).toBe(200);
      const statuses = (await (await admin("/api/keys")).json()) as { keys: { status: string }[] };
      expect(statuses.keys.map((key) => key.status)).toEqual(["active", "active", "active"]);
      expect((await admin("/api/keys/metadata", { method: "PATCH", body: { keys: [{ id: "0123456789abcdef", enabled: true }] } })).status).toBe(404);
      await admin("/api/keys/metadata", { method: "DELETE" });
    });
  });

  describe("cost", () => {
    interface Totals { id: string; requests: number; promptTokens: number; cachedTokens: number; completionTokens: number; thoughtTokens: number; estimatedCostUsd: number }
    interface Usage { estimatedCostUsd: number; days: Omit<Totals, "id">[]; byModel: Totals[]; byAccessKey: Totals[] }
    const round = (value: number) => Math.round(value * 1_000_000) / 1_000_000;
    /** `GET /api/usage?days=2` once `ready` holds for `byModel` (the recorder flushes in the background), or after 5 s. */
    const usageOnce = async (ready: (model: (id: string) => Totals | undefined) => boolean): Promise<Usage & { model: (id: string) => Totals }> => {
      let usage: Usage | undefined;
      const deadline = Date.now() + 5_000;
      const model = (id: string) => usage?.byModel.find((entry) => entry.id === id);
      while (Date.now() < deadline) {
        usage = (await (await admin("/api/usage?days=2")).json()) as Usage;
        if (ready(model)) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return { ...usage!, model: (id) => model(id)! };
    };

    it("turns usage into estimated cost from the editable price table", async () => {
      const prices = { "gemini-2.5-flash": { input: 1, output: 2, thinking: 4 }, "gemini-2.5-flash-lite": { input: 0.5, output: 3 } };
      expect((await admin("/api/policy/prices", { method: "PUT", body: prices })).status).toBe(200);
      expect((await native("gemini-2.5-flash")).status).toBe(200);
      const usage = await usageOnce((model) => (model("gemini-2.5-flash")?.promptTokens ?? 0) > 0 && (model("gemini-2.5-flash-lite")?.requests ?? 0) >= 3);
      const flash = usage.model("gemini-2.5-flash");
      const lite = usage.model("gemini-2.5-flash-lite");
      const flashCost = round((flash.promptTokens * 1 + flash.completionTokens * 2 + flash.thoughtTokens * 4) / 1_000_000);
      const liteCost = round((lite.promptTokens * 0.5 + (lite.completionTokens + lite.thoughtTokens) * 3) / 1_000_000);
      expect(flash.promptTokens).toBeGreaterThan(0);
      expect(flash.estimatedCostUsd).toBeCloseTo(flashCost, 6);
      expect(lite.estimatedCostUsd).toBeCloseTo(liteCost, 6);
      const total = usage.byModel.reduce((sum, entry) => sum + entry.estimatedCostUsd, 0);
      expect(usage.estimatedCostUsd).toBeCloseTo(total, 5);
      expect(usage.byAccessKey.find((entry) => entry.id === "env")!.estimatedCostUsd).toBeCloseTo(total, 5);
      await admin("/api/policy/prices", { method: "DELETE" });
    });

    it("records cached prompt tokens through both protocols and bills them at the cached price", async () => {
      const prices = { "gemini-2.5-flash": { input: 1, output: 2, thinking: 4, cached: 0.25 } };
      expect((await admin("/api/policy/prices", { method: "PUT", body: prices })).status).toBe(200);
      // Each of the next two answers read 1000 prompt tokens from a context cache.
      sim.enqueue({ kind: "pace", cachedTokens: 1_000, times: 2 });
      const answer = (await (await native("gemini-2.5-flash")).json()) as { usageMetadata: { promptTokenCount: number; cachedContentTokenCount: number } };
      expect(answer.usageMetadata.cachedContentTokenCount).toBe(1_000);
      expect(answer.usageMetadata.promptTokenCount).toBeGreaterThan(1_000);
      const completion = (await (await chat("gemini-2.5-flash")).json()) as { usage: { prompt_tokens_details: { cached_tokens: number } } };
      expect(completion.usage.prompt_tokens_details.cached_tokens).toBe(1_000);

      const usage = await usageOnce((model) => (model("gemini-2.5-flash")?.cachedTokens ?? 0) >= 2_000);
      const flash = usage.model("gemini-2.5-flash");
      expect(flash.cachedTokens).toBe(2_000);
      expect(usage.days.reduce((sum, day) => sum + day.cachedTokens, 0)).toBe(2_000);
      // promptTokens includes the cached ones: the rest at $1, the cached at $0.25 per million.
      const cost = round(((flash.promptTokens - flash.cachedTokens) * 1 + flash.cachedTokens * 0.25 + flash.completionTokens * 2 + flash.thoughtTokens * 4) / 1_000_000);
      expect(flash.estimatedCostUsd).toBeCloseTo(cost, 6);
      // 2000 cached tokens at $0.25 instead of $1 save 2000 × $0.75 per million = $0.0015.
      const uncached = round((flash.promptTokens * 1 + flash.completionTokens * 2 + flash.thoughtTokens * 4) / 1_000_000);
      expect(uncached - flash.estimatedCostUsd).toBeCloseTo(0.0015, 6);
      await admin("/api/policy/prices", { method: "DELETE" });
    });
  });
});
