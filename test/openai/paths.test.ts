/** Which requests the OpenAI surface claims, and how GET /v1/models is shared with Gemini native. */
import { describe, expect, it } from "vitest";
import { matchOpenAiRoute } from "../../shared/openai/paths.ts";

function route(method: string, path: string, headers: Record<string, string> = {}) {
  const url = new URL(`http://gemrelay.test${path}`);
  return matchOpenAiRoute(new Request(url, { method, headers }), url);
}

describe("matchOpenAiRoute", () => {
  it("claims the OpenAI paths with and without /v1 and behind a prefix", () => {
    expect(route("POST", "/v1/chat/completions")).toEqual({ kind: "chat" });
    expect(route("POST", "/chat/completions")).toEqual({ kind: "chat" });
    expect(route("POST", "/proxy/openai/v1/chat/completions")).toEqual({ kind: "chat" });
    expect(route("POST", "/v1/embeddings")).toEqual({ kind: "embeddings" });
    expect(route("POST", "/embeddings")).toEqual({ kind: "embeddings" });
    expect(route("GET", "/v1/models")).toEqual({ kind: "models" });
    expect(route("GET", "/models/")).toEqual({ kind: "models" });
    expect(route("GET", "/v1/models/gpt-4o")).toEqual({ kind: "model", id: "gpt-4o" });
    expect(route("POST", "/v1beta/openai/chat/completions")).toEqual({ kind: "forward", path: "/v1beta/openai/chat/completions" });
    expect(route("GET", "/proxy/g/v1beta/openai/models")).toEqual({ kind: "forward", path: "/v1beta/openai/models" });
  });

  it("leaves Gemini native paths alone", () => {
    expect(route("GET", "/v1beta/models")).toBeNull();
    expect(route("POST", "/v1/models/gemini-2.5-flash:generateContent")).toBeNull();
    expect(route("POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent")).toBeNull();
    expect(route("GET", "/v1alpha/models/gemini-2.5-flash")).toBeNull();
    expect(route("GET", "/v1/chat/completions")).toBeNull();
    expect(route("POST", "/v1/models")).toBeNull();
    expect(route("GET", "/health")).toBeNull();
  });

  it("gives GET /v1/models to Gemini clients (?key=, x-goog-api-key, x-goog-api-client) and to OpenAI clients otherwise", () => {
    expect(route("GET", "/v1/models?key=abc")).toBeNull();
    expect(route("GET", "/v1/models", { "x-goog-api-key": "abc" })).toBeNull();
    expect(route("GET", "/v1/models/gemini-2.5-flash", { "x-goog-api-client": "google-genai-sdk/2.32.0 gl-node/20" })).toBeNull();
    expect(route("GET", "/v1/models", { authorization: "Bearer sk-x", "x-stainless-lang": "js" })).toEqual({ kind: "models" });
  });
});
