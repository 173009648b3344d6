/** forwardToGemini and its URL/key helpers, with an injected fetch (no network). */
import { describe, expect, it, vi } from "vitest";
import { EgressConnectError, NotGeminiPathError, forwardToGemini } from "../../shared/egress/forward.ts";
import { forwardedQuery, joinUpstream, presentedKey } from "../../shared/egress/target.ts";

interface Call {
  url: string;
  init: RequestInit & { duplex?: string };
}

function recordingFetch(answer: () => Response = () => new Response("{}", { status: 200 })): { calls: Call[]; fetch: typeof fetch } {
  const calls: Call[] = [];
  const fake = async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), init: init ?? {} });
    return answer();
  };
  return { calls, fetch: fake as typeof fetch };
}

describe("forwardedQuery", () => {
  it("drops key and platform parameters, keeps the rest byte for byte", () => {
    expect(forwardedQuery("?alt=sse&key=K&$fields=a%2Cb&_path=%2Fx&path=a&...path=b&pageSize=5")).toBe("?alt=sse&$fields=a%2Cb&pageSize=5");
    expect(forwardedQuery("?%6Bey=K&keys=1&&x")).toBe("?keys=1&x");
    expect(forwardedQuery("?key=K")).toBe("");
    expect(forwardedQuery("")).toBe("");
    expect(forwardedQuery("?q=%E0%A4%A")).toBe("?q=%E0%A4%A");
  });
});

describe("joinUpstream", () => {
  it("joins without double slashes and keeps the upstream's prefix", () => {
    expect(joinUpstream("https://generativelanguage.googleapis.com", "/v1beta/models", "")).toBe("https://generativelanguage.googleapis.com/v1beta/models");
    expect(joinUpstream("https://g.example/", "/v1beta/models", "?alt=sse")).toBe("https://g.example/v1beta/models?alt=sse");
    expect(joinUpstream("http://127.0.0.1:9/hop/a//", "/v1/models", "")).toBe("http://127.0.0.1:9/hop/a/v1/models");
  });
});

describe("presentedKey", () => {
  const url = (query: string) => new URL(`https://relay.example/v1beta/models${query}`);
  it("reads x-goog-api-key, then ?key=, then Authorization: Bearer", () => {
    expect(presentedKey(new Headers({ "x-goog-api-key": "A", authorization: "Bearer C" }), url("?key=B"))).toBe("A");
    expect(presentedKey(new Headers({ authorization: "Bearer C" }), url("?key=B"))).toBe("B");
    expect(presentedKey(new Headers({ authorization: "bearer  C " }), url(""))).toBe("C");
    expect(presentedKey(new Headers({ authorization: "Basic Qw==" }), url(""))).toBeUndefined();
    expect(presentedKey(new Headers(), url(""))).toBeUndefined();
  });
});

describe("forwardToGemini", () => {
  it("passes the request body as a stream with duplex half, never buffered", async () => {
    const { calls, fetch } = recordingFetch();
    const request = new Request("https://relay.example/prefix/v1beta/models/m:generateContent?key=K", {
      method: "POST",
      body: new ReadableStream({ start: (controller) => { controller.enqueue(new TextEncoder().encode("{}")); controller.close(); } }),
      duplex: "half",
    } as RequestInit & { duplex: "half" });
    await forwardToGemini(request, { upstream: "https://g.example", fetch });
    expect(calls[0]?.url).toBe("https://g.example/v1beta/models/m:generateContent");
    expect(calls[0]?.init.body).toBeInstanceOf(ReadableStream);
    expect(calls[0]?.init.duplex).toBe("half");
    expect(calls[0]?.init.redirect).toBe("manual");
    expect(new Headers(calls[0]?.init.headers).get("x-goog-api-key")).toBe("K");
  });

  it("sends no body for GET", async () => {
    const { calls, fetch } = recordingFetch();
    await forwardToGemini(new Request("https://relay.example/v1beta/models"), { upstream: "https://g.example", fetch });
    expect(calls[0]?.init.body).toBeUndefined();
    expect(calls[0]?.init.duplex).toBeUndefined();
  });

  it("keeps null-body statuses working", async () => {
    const { fetch } = recordingFetch(() => new Response(null, { status: 204 }));
    const response = await forwardToGemini(new Request("https://relay.example/v1beta/files/x", { method: "DELETE" }), { upstream: "https://g.example", fetch });
    expect(response.status).toBe(204);
  });

  it("rejects paths outside the Gemini API", async () => {
    const { calls, fetch } = recordingFetch();
    await expect(forwardToGemini(new Request("https://relay.example/admin"), { upstream: "https://g.example", fetch })).rejects.toBeInstanceOf(NotGeminiPathError);
    expect(calls).toHaveLength(0);
  });

  it("turns a connect failure into EgressConnectError (502) naming the code, not the key", async () => {
    const failing = (async () => {
      throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) });
    }) as typeof fetch;
    const error: unknown = await forwardToGemini(new Request("https://relay.example/v1beta/models?key=SECRETKEY"), { upstream: "https://g.example", fetch: failing }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EgressConnectError);
    const connect = error as EgressConnectError;
    expect(connect.status).toBe(502);
    expect(connect.code).toBe("ECONNREFUSED");
    expect(connect.message).toContain("https://g.example");
    expect(connect.message).not.toContain("SECRETKEY");
  });

  it("rethrows the abort when the caller aborted", async () => {
    const controller = new AbortController();
    const aborting = (async () => {
      controller.abort();
      throw new DOMException("aborted", "AbortError");
    }) as typeof fetch;
    const error: unknown = await forwardToGemini(new Request("https://relay.example/v1beta/models"), { upstream: "https://g.example", fetch: aborting, signal: controller.signal }).catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(EgressConnectError);
    expect((error as DOMException).name).toBe("AbortError");
  });
});

describe("createRelayHandler without a server", () => {
  it("defaults to the same upstream as the environment schema, and logs nothing", async () => {
    const { createRelayHandler } = await import("../../shared/egress/relay.ts");
    const { defaultUpstream } = await import("../../shared/config/env.ts");
    const { calls, fetch } = recordingFetch();
    const methods = ["log", "info", "warn", "error", "debug"] as const;
    const spies = methods.map((method) => vi.spyOn(console, method));
    try {
      const relay = createRelayHandler({ relayToken: "t0ken", upstream: undefined, platform: "test", region: "r1", fetch });
      const response = await relay(new Request("https://relay.example/v1beta/models?key=SECRET", { headers: { "x-relay-token": "t0ken" } }));
      expect(response.status).toBe(200);
      expect(calls[0]?.url).toBe(`${defaultUpstream}/v1beta/models`);
      await relay(new Request("https://relay.example/v1beta/models?key=SECRET", { headers: { "x-relay-token": "wrong" } }));
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
