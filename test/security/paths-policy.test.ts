/**
 * Issue #14, findings 1 and 2 (and three smaller ones): no way around the model policy by the
 * shape of a path or by Gemini's own OpenAI endpoint. On the self-host bundle and on the worker
 * bundle under workerd, over real HTTP with the simulator as Gemini: every spelling of a model
 * path either is the model (policy, allow-list, budgets apply) or is refused with a 400/404 that
 * never reaches Gemini; `/v1beta/openai/*` gets the same policy as `/v1/chat/completions`.
 * Also: upstream answers carry a CSP, and a relay refuses encoded separators for hop-secret holders.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GeminiSimulator } from "../sim/index.ts";
import { resumeWorkerTargets, type Target } from "../helpers/targets.ts";
import { startRelay, type RunningRelay } from "../helpers/chain.ts";

const accessKey = "sk-paths-policy-access-0123456789";
const adminKey = "admin-paths-policy-0123456789";
const relayToken = "relay-paths-policy-hop-secret-0123456789";
const disabled = "gemini-2.5-pro";
const instruction = "INJECTED-POLICY-RULE";
const policy = {
  disabled: [disabled, "text-embedding-004"],
  aliases: { fast: "gemini-2.5-flash", "sneaky-pro": disabled },
  defaults: { "gemini-2.5-flash": { thinking: 77 } },
  instructions: [{ text: instruction, position: "prepend" }],
};
const body = JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] });
const chat = (model: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], ...extra });

/** Every other spelling of a generate call on the disabled model that gemrelay must not forward. */
const disabledSpellings = [
  `/v1beta/models/${disabled}:generateContent/`,
  `/v1beta/models/${disabled}:streamGenerateContent/?alt=sse`,
  `/v1beta/models/${disabled}:streamGenerateContent/`,
  `/v1beta//models/${disabled}:generateContent`,
  `/v1beta/models//${disabled}:generateContent`,
  `/v1beta/models/${disabled}/:generateContent`,
  `/v1beta/models/${disabled}:generateContent//`,
  `/v1beta/models/${disabled};x:generateContent`,
  `/v1beta/models;x/${disabled}:generateContent`,
  `/v1beta/models/${disabled}:GenerateContent`,
  `/v1beta/models/${disabled}:GENERATECONTENT`,
  `/v1beta/models/${disabled}:generateContent:foo`,
  `/v1beta/models/${disabled}:generateContent;x`,
  `/v1beta/models/${disabled}%3AgenerateContent`,
  `/v1beta/models/${disabled}%3agenerateContent`,
  `/v1beta/models/${disabled}:generate%43ontent`,
  `/v1beta/Models/${disabled}:generateContent`,
  `/v1beta/MODELS/${disabled}:generateContent`,
  `/v1beta/%6Dodels/${disabled}:generateContent`,
  `/v1beta/tunedmodels/${disabled}:generateContent`,
  `/v1beta/models/${disabled}:generateContent/extra`,
  `/v1/models/${disabled}:generateContent/`,
  `/v1alpha/models/${disabled}:streamGenerateContent/`,
  `/upload/v1beta/models/${disabled}:generateContent`,
  `/proxy/group/v1beta/models/${disabled}:generateContent/`,
  // Canonical spellings: the policy's own 404.
  `/v1beta/models/${disabled}:generateContent`,
  `/v1beta/tunedModels/${disabled}:generateContent`,
  `/v1/models/${disabled}:streamGenerateContent?alt=sse`,
  `/v1beta/models/sneaky-pro:generateContent`,
  `/v1beta/models/${disabled}:countTokens`,
];

describe.each(resumeWorkerTargets)("path grammar and model policy on %s", (_name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Target;
  let flashOnly = "";

  const send = async (path: string, init: RequestInit & { key?: string } = {}) => {
    const { key = accessKey, ...rest } = init;
    const response = await fetch(target.url + path, {
      method: "POST",
      ...rest,
      headers: { "x-goog-api-key": key, "content-type": "application/json", ...(rest.headers as Record<string, string> | undefined) },
      ...(rest.method === "GET" || rest.method === "HEAD" ? {} : { body: rest.body ?? body }),
    });
    const text = await response.text();
    let json: { error?: Record<string, unknown> } & Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      // Not JSON (a HEAD answer has no body).
    }
    return { status: response.status, text, json, headers: response.headers };
  };
  const openai = (path: string, payload: string, key = accessKey) =>
    send(path, { body: payload, key, headers: { authorization: `Bearer ${key}`, "x-goog-api-key": "" } });

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    target = await startTarget({
      AUTH_KEY: accessKey,
      ADMIN_KEY: adminKey,
      GEMINI_API_KEYS: sim.createKey(),
      GEMINI_UPSTREAM: sim.url,
      MODEL_POLICY: JSON.stringify(policy),
      BUDGETS: JSON.stringify({ enabled: true, freeTier: false, limits: { "gemini-2.5-flash-lite": { rpd: 1 } } }),
    });
    const created = await fetch(`${target.url}/api/access-keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "flash only", models: ["gemini-2.5-flash"] }),
    });
    expect(created.status).toBe(201);
    flashOnly = ((await created.json()) as { secret: string }).secret;
  });

  afterAll(async () => {
    await target?.stop();
    await sim?.close();
  });

  beforeEach(() => sim.reset());

  it("refuses every other spelling of a generate path with a 400 or 404, and none reaches Gemini", async () => {
    for (const path of disabledSpellings) {
      const answer = await send(path);
      expect([400, 404], `${path}: ${answer.text}`).toContain(answer.status);
      expect(answer.json.error, path).toMatchObject({ code: answer.status });
    }
    // The same spellings with a model the policy allows are refused too: never forwarded as "no model".
    for (const path of disabledSpellings.slice(0, 25).map((path) => path.replace(disabled, "gemini-2.5-flash"))) {
      const answer = await send(path);
      expect([400, 404], `${path}: ${answer.text}`).toContain(answer.status);
    }
    expect(sim.requests.map((request) => request.path)).toEqual([]);
  });

  it("refuses GET and HEAD on model methods instead of forwarding them", async () => {
    for (const method of ["GET", "HEAD", "DELETE", "PUT"]) {
      for (const path of ["/v1beta/models/gemini-2.5-flash:generateContent", `/v1beta/models/${disabled}:streamGenerateContent`, "/v1/models/gemini-2.5-flash:countTokens"]) {
        const answer = await send(path, { method });
        expect(answer.status, `${method} ${path}`).toBe(404);
      }
    }
    expect(sim.requests).toEqual([]);
  });

  it("serves the canonical spellings with the policy applied: alias, defaults, instructions, allow-list, budgets", async () => {
    const served = await send("/v1beta/models/fast:streamGenerateContent?alt=sse");
    expect(served.status, served.text).toBe(200);
    const upstream = sim.requests.at(-1);
    expect(upstream?.model).toBe("gemini-2.5-flash");
    expect(JSON.stringify(upstream?.body)).toContain(instruction);
    expect(JSON.stringify(upstream?.body)).toContain('"thinkingBudget":77');

    expect((await send("/v1/models/gemini-2.5-flash:generateContent")).status).toBe(200);
    expect((await send("/v1beta/models/fast:countTokens")).status).toBe(200);
    expect(sim.requests.at(-1)?.model).toBe("gemini-2.5-flash");

    // The access key's model list holds on every spelling: the allowed model works, no other does.
    expect((await send("/v1beta/models/gemini-2.5-flash:generateContent", { key: flashOnly })).status).toBe(200);
    expect((await send("/v1beta/models/gemini-2.5-flash-lite:generateContent", { key: flashOnly })).status).toBe(403);
    expect([400, 404]).toContain((await send("/v1beta/models/gemini-2.5-flash-lite:generateContent/", { key: flashOnly })).status);

    // A budget of one request a day: the second is refused whatever the spelling.
    sim.reset();
    expect((await send("/v1beta/models/gemini-2.5-flash-lite:generateContent")).status).toBe(200);
    for (const path of ["/v1beta/models/gemini-2.5-flash-lite:generateContent", "/v1beta/models/gemini-2.5-flash-lite:generateContent/", "/v1beta//models/gemini-2.5-flash-lite:generateContent"]) {
      expect((await send(path)).status, path).not.toBe(200);
    }
    expect(sim.requests.filter((request) => request.model === "gemini-2.5-flash-lite")).toHaveLength(1);

    // The model list leaves the disabled model out; `/models/` with a trailing slash is refused, not listed unfiltered.
    const list = await send("/v1beta/models", { method: "GET" });
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(`models/${disabled}"`);
    expect((await send("/v1beta/models/", { method: "GET" })).status).toBe(400);
  });

  it("applies the model policy to a context cache, which names its model in the body", async () => {
    const cache = (model: unknown) => JSON.stringify({ model, contents: [{ role: "user", parts: [{ text: "long context" }] }] });
    for (const model of [`models/${disabled}`, disabled, "models/sneaky-pro"]) {
      expect((await send("/v1beta/cachedContents", { body: cache(model) })).status, model).toBe(404);
    }
    for (const model of [42, "models/<b>", "models/../x"]) {
      expect((await send("/v1beta/cachedContents", { body: cache(model) })).status, String(model)).toBe(400);
    }
    expect((await send("/v1beta/cachedContents", { body: cache("models/gemini-2.5-flash-lite"), key: flashOnly })).status).toBe(403);
    expect(sim.requests).toEqual([]);
    await send("/v1beta/cachedContents", { body: cache("models/fast") });
    expect((sim.requests.at(-1)?.body as { model?: string } | undefined)?.model).toBe("models/gemini-2.5-flash");
  });

  it("applies the same model policy on /v1beta/openai/* as on /v1/chat/completions", async () => {
    for (const path of ["/v1beta/openai/chat/completions", "/v1/chat/completions"]) {
      for (const model of [disabled, `models/${disabled}`, "sneaky-pro"]) {
        const refused = await openai(path, chat(model));
        expect(refused.status, `${path} ${model}: ${refused.text}`).toBe(404);
        expect(refused.json.error).toMatchObject({ code: "model_not_found", type: "invalid_request_error" });
      }
    }
    // What cannot be read is refused in OpenAI's shape, never forwarded as "no model".
    const unreadable: [string, string][] = [
      [JSON.stringify({ messages: [{ role: "user", content: "hi" }] }), "model"],
      [chat(42), "model"],
      [chat(null), "model"],
      [chat(["gemini-2.5-flash"]), "model"],
      [chat("../../v1beta/models/x"), "model"],
      [chat("<b>x</b>"), "model"],
    ];
    for (const [payload, param] of unreadable) {
      const refused = await openai("/v1beta/openai/chat/completions", payload);
      expect(refused.status, `${payload}: ${refused.text}`).toBe(400);
      expect(refused.json.error).toMatchObject({ param, type: "invalid_request_error" });
    }
    for (const payload of ["{not json", "", "[1,2]"]) {
      const refused = await openai("/v1beta/openai/chat/completions", payload);
      expect(refused.status, `${payload}: ${refused.text}`).toBe(400);
      expect(Object.keys(refused.json.error ?? {}).sort()).toEqual(["code", "message", "param", "type"]);
    }
    expect((await openai("/v1beta/openai/embeddings", JSON.stringify({ input: "hi" }))).status).toBe(400);
    expect((await openai("/v1beta/openai/embeddings", JSON.stringify({ model: "text-embedding-004", input: "hi" }))).status).toBe(404);
    expect((await openai("/v1/embeddings", JSON.stringify({ model: "text-embedding-004", input: "hi" }))).status).toBe(404);
    expect((await openai("/v1beta/openai/chat/completions/", chat("gemini-2.5-flash"))).status).toBe(400);
    expect(sim.requests).toEqual([]);

    // An alias is resolved, the thinking default and the injected instruction reach Gemini.
    const served = await openai("/v1beta/openai/chat/completions", chat("fast"));
    expect(served.status, served.text).toBe(200);
    const upstream = sim.requests.at(-1);
    expect(upstream?.path).toBe("/v1beta/openai/chat/completions");
    const sent = upstream?.body as { model: string; messages: { role: string; content: string }[]; extra_body?: unknown };
    expect(sent.model).toBe("gemini-2.5-flash");
    expect(sent.messages[0]).toEqual({ role: "system", content: instruction });
    expect(sent.extra_body).toEqual({ google: { thinking_config: { thinking_budget: 77 } } });

    // The access key's model list applies to the model the body names.
    expect((await openai("/v1beta/openai/chat/completions", chat("gemini-2.5-flash"), flashOnly)).status).toBe(200);
    const outside = await openai("/v1beta/openai/chat/completions", chat("gemini-2.5-flash-lite"), flashOnly);
    expect(outside.status, outside.text).toBe(403);

    // The compatible model list leaves the disabled model out.
    const list = await send("/v1beta/openai/models", { method: "GET", headers: { authorization: `Bearer ${accessKey}` } });
    expect(list.status, list.text).toBe(200);
    expect(list.text).toContain("gemini-2.5-flash");
    expect(list.text).not.toContain(`${disabled}"`);
  });

  it("serves upstream answers with a CSP that keeps any HTML from running on gemrelay's origin", async () => {
    for (const answer of [
      await send("/v1beta/models", { method: "GET" }),
      await send("/v1beta/models/no-such-model:countTokens"),
      await send("/v1beta/openai/models", { method: "GET", headers: { authorization: `Bearer ${accessKey}` } }),
    ]) {
      expect(answer.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
      expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });
});

describe.each(["netlify", "vercel"] as const)("the %s relay bundle", (platform) => {
  let sim: GeminiSimulator;
  let relay: RunningRelay;

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    relay = await startRelay({ platform, id: `${platform}-paths`, env: { RELAY_TOKEN: relayToken, GEMINI_UPSTREAM: sim.url } });
  });

  afterAll(async () => {
    await relay?.stop();
    await sim?.close();
  });

  it("refuses encoded separators, dot segments and control characters even from holders of the hop secret", async () => {
    const key = sim.createKey();
    for (const path of ["/v1beta/models/x%2F..%2F..%2Fadmin:generateContent", "/v1beta/files/%2e%2e%2fsecret", "/v1beta/models%5Cx", "/v1beta/models/a%0d%0aX-Injected:1"]) {
      const response = await fetch(relay.url + path, { method: "POST", headers: { "x-relay-token": relayToken, "x-goog-api-key": key, "content-type": "application/json" }, body });
      expect(response.status, path).toBe(400);
      expect(response.headers.get("x-gemrelay-fault"), path).toBeNull();
    }
    expect(sim.requests).toEqual([]);
    const served = await fetch(`${relay.url}/v1beta/models/gemini-2.5-flash:generateContent`, { method: "POST", headers: { "x-relay-token": relayToken, "x-goog-api-key": key, "content-type": "application/json" }, body });
    expect(served.status).toBe(200);
  });
});
