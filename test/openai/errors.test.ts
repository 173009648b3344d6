/** Errors in OpenAI's shape: gemrelay's own, Gemini's passed on (fixtures), and malformed bodies naming the field. */
import { describe, expect, it } from "vitest";
import { AuthenticationError, GemrelayError, PayloadTooLargeError, UpstreamResponseError } from "../../shared/errors.ts";
import { readJsonBody } from "../../shared/openai/body.ts";
import { OpenAiRequestError, openAiError } from "../../shared/openai/errors.ts";
import { chatRequestSchema } from "../../shared/openai/schema.ts";
import { fixture } from "../helpers/fixtures.ts";

const upstream = (name: string, status: number) => new UpstreamResponseError(fixture(name), status, new Headers({ "content-type": "application/json" }));

async function problem(body: string, limit = 10_000): Promise<OpenAiRequestError> {
  const request = new Request("http://gemrelay.test/v1/chat/completions", { method: "POST", body });
  const error = await readJsonBody(request, limit, chatRequestSchema).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(OpenAiRequestError);
  return error as OpenAiRequestError;
}

describe("openAiError", () => {
  it("passes Gemini's 429 on with its message, OpenAI's rate-limit type and code, and retry-after from RetryInfo", () => {
    const { status, body, headers } = openAiError(upstream("error_429_RESOURCE_EXHAUSTED_QuotaFailure_Help_RetryInfo.json", 429));
    expect(status).toBe(429);
    expect(body).toMatchObject({ type: "requests", code: "rate_limit_exceeded", param: null });
    expect(body.message).toContain("quota");
    expect(Number(headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("maps Gemini's 400, 403, 500 and 503 (fixtures), and an array-wrapped body", () => {
    expect(openAiError(upstream("error_400_missing_thought_signature.json", 400)).body).toMatchObject({ type: "invalid_request_error", code: "invalid_argument", message: expect.stringContaining("thought_signature") });
    expect(openAiError(upstream("error_403_PERMISSION_DENIED_unregistered_caller.json", 403)).body).toMatchObject({ type: "permission_error", code: "permission_denied" });
    expect(openAiError(upstream("error_500_INTERNAL.json", 500)).body).toMatchObject({ type: "server_error", code: "internal" });
    expect(openAiError(upstream("error_503_UNAVAILABLE_overloaded.json", 503)).body).toMatchObject({ type: "server_error", code: "unavailable", message: expect.stringContaining("overloaded") });
    const wrapped = new UpstreamResponseError(JSON.stringify([{ error: { code: 404, message: "models/x is not found", status: "NOT_FOUND" } }]), 404, new Headers());
    expect(openAiError(wrapped)).toMatchObject({ status: 404, body: { message: "models/x is not found", code: "model_not_found" } });
    expect(openAiError(new UpstreamResponseError("<html>Bad gateway</html>", 502, new Headers())).body.message).toBe("<html>Bad gateway</html>");
  });

  it("maps gemrelay's own errors: 401 as OpenAI's invalid_api_key, a pool 429 with its RetryInfo", () => {
    expect(openAiError(new AuthenticationError())).toMatchObject({ status: 401, body: { type: "invalid_request_error", code: "invalid_api_key" } });
    const pool = openAiError(new GemrelayError("Resource has been exhausted (e.g. check quota).", 429, [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "42s" }]));
    expect(pool.headers.get("retry-after")).toBe("42");
    expect(openAiError(new OpenAiRequestError("bad", "messages[0].role", "invalid_value")).body).toEqual({ message: "bad", type: "invalid_request_error", param: "messages[0].role", code: "invalid_value" });
  });
});

describe("readJsonBody", () => {
  it("names the field at fault", async () => {
    expect(await problem("nope")).toMatchObject({ param: null, code: "invalid_json" });
    expect(await problem("null")).toMatchObject({ param: null, message: expect.stringContaining("JSON object") });
    expect((await problem(JSON.stringify({ model: 3, messages: [] }))).param).toBe("model");
    expect((await problem(JSON.stringify({ model: "m" }))).message).toContain("messages is required");
    const role = await problem(JSON.stringify({ model: "m", messages: [{ role: "robot", content: "x" }] }));
    expect(role).toMatchObject({ param: "messages[0].role", message: expect.stringContaining('unknown role "robot"') });
    expect((await problem(JSON.stringify({ model: "m", messages: [{ content: "x" }] }))).message).toContain("unknown role (missing)");
    expect((await problem(JSON.stringify({ model: "m", messages: [{ role: "user", content: [{ type: "image_url", image_url: 5 }] }] }))).param).toBe("messages[0].content[0].image_url");
    expect((await problem(JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }], tools: [{ type: "retrieval" }] }))).message).toContain('unsupported tool type "retrieval"');
    expect((await problem(JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }], reasoning_effort: "huge" }))).param).toBe("reasoning_effort");
    expect((await problem(JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }], stop: ["a", "b", "c", "d", "e", "f"] }))).param).toBe("stop");
  });

  it("refuses a body over the limit, by Content-Length or while reading, as OpenAI's 413", async () => {
    const declared = new Request("http://gemrelay.test/", { method: "POST", body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x".repeat(200) }] }) });
    const error = await readJsonBody(declared, 100, chatRequestSchema).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(openAiError(error as PayloadTooLargeError)).toMatchObject({ status: 413, body: { type: "invalid_request_error", param: null, code: "request_too_large" } });
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let index = 0; index < 10; index++) controller.enqueue(new Uint8Array(64));
        controller.close();
      },
    });
    const request = new Request("http://gemrelay.test/", { method: "POST", body: streamed, duplex: "half" } as RequestInit);
    await expect(readJsonBody(request, 100, chatRequestSchema)).rejects.toBeInstanceOf(PayloadTooLargeError);
  });
});
