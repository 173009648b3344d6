/**
 * Issue #14 finding 8, the mapping itself: an exception becomes a generic 500 with a request id
 * in both protocols, its message goes to the log masked, and parser messages (which quote the
 * input) are not passed on either. The end-to-end cases are in keys-and-errors.test.ts.
 */
import { describe, expect, it } from "vitest";
import { parseJsonBody } from "../../shared/body.ts";
import { BadRequestError, clientError, geminiErrorResponse, InternalError } from "../../shared/errors.ts";
import { openAiErrorResponse } from "../../shared/openai/errors.ts";
import { maskSecretsIn } from "../../shared/secrets.ts";

const key = "AIzaSyErrorBodies" + "0123456789abcdefghijkl";

describe("exceptions in client answers", () => {
  it("answers an exception with a generic 500 and logs it with the same id", async () => {
    const entries: Record<string, unknown>[] = [];
    const thrown = new TypeError(`Headers.set: "${key.slice(0, 20)}\u200b${key.slice(20)}" is an invalid header value.`);
    const error = clientError(thrown, (entry) => entries.push(entry), { path: "/v1/chat/completions" });
    expect(error).toBeInstanceOf(InternalError);
    const id = (error as InternalError).requestId;
    for (const response of [geminiErrorResponse(error), openAiErrorResponse(error)]) {
      expect(response.status).toBe(500);
      expect(response.headers.get("x-request-id")).toBe(id);
      const text = await response.text();
      expect(text).toContain(`request id ${id}`);
      expect(text).not.toContain(key.slice(4, 20));
      expect(text).not.toContain("Headers.set");
    }
    expect(entries).toEqual([expect.objectContaining({ event: "unhandled", requestId: id, error: "TypeError", path: "/v1/chat/completions" })]);
    // gemrelay's own errors keep their message.
    expect(clientError(new BadRequestError("bad"), () => undefined).message).toBe("bad");
  });

  it("masks quoted values and key-shaped text in log messages", () => {
    const quoted = maskSecretsIn(`Headers.set: "${key.slice(0, 20)}\u200b${key.slice(20)}" is an invalid header value.`);
    expect(quoted).toBe(`Headers.set: "AIza…jkl" is an invalid header value.`);
    expect(maskSecretsIn(`bad key ${key} here`)).toBe("bad key AIza…jkl here");
    // Ordinary messages stay readable.
    expect(maskSecretsIn("connect ECONNREFUSED 127.0.0.1:6379")).toBe("connect ECONNREFUSED 127.0.0.1:6379");
  });

  it("words a JSON syntax error without quoting the body", () => {
    const body = new TextEncoder().encode(`{"contents": ${key}}`);
    const parsed = parseJsonBody(body, "application/json");
    expect(parsed).toEqual({ problem: expect.stringMatching(/^is not JSON \(not valid JSON/) as unknown as string });
    expect(JSON.stringify(parsed)).not.toContain(key.slice(4, 12));
  });
});
