/** The checks behind the bad-input answers, at their boundaries: JSON bodies, request paths, model names. */
import { describe, expect, it } from "vitest";
import { maximumJsonDepth, parseJsonBody, readBoundedBody } from "../../shared/body.ts";
import { GemrelayError, PayloadTooLargeError } from "../../shared/errors.ts";
import { modelNameProblem } from "../../shared/gemini/paths.ts";
import { requestPathProblem, rewrittenPathProblem } from "../../shared/request-path.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

describe("parseJsonBody", () => {
  it("takes JSON with no Content-Type, text/plain or any JSON type, and refuses forms and multipart", () => {
    for (const contentType of [null, "", "application/json", "Application/JSON; charset=utf-8", "application/vnd.api+json", "text/plain;charset=UTF-8"]) {
      expect(parseJsonBody(bytes('{"a":1}'), contentType)).toEqual({ value: { a: 1 } });
    }
    expect(parseJsonBody(bytes('{"a":1}'), "application/x-www-form-urlencoded")).toEqual({ problem: "has Content-Type application/x-www-form-urlencoded, which is not JSON: send it as application/json" });
    expect(parseJsonBody(bytes('{"a":1}'), "multipart/form-data; boundary=x")).toMatchObject({ problem: expect.stringContaining("multipart/form-data,") });
  });

  it("refuses invalid UTF-8, syntax errors and nesting deeper than the limit, at any depth without overflowing", () => {
    expect(parseJsonBody(new Uint8Array([0x22, 0xc3, 0x28, 0x22]), null)).toEqual({ problem: "is not valid UTF-8" });
    expect(parseJsonBody(bytes("{"), null)).toMatchObject({ problem: expect.stringMatching(/^is not JSON \(/) });
    expect(parseJsonBody(bytes(nested(maximumJsonDepth)), null)).toHaveProperty("value");
    expect(parseJsonBody(bytes(`{"a":${nested(maximumJsonDepth)}}`), null)).toEqual({ problem: `nests deeper than ${maximumJsonDepth} levels` });
    expect(parseJsonBody(bytes(nested(1_000_000)), null)).toEqual({ problem: `nests deeper than ${maximumJsonDepth} levels` });
  });

  it("counts nesting on the bytes before parsing: brackets inside strings (escaped quotes too) do not count", () => {
    const inString = `{"text":"${"[{".repeat(500)} \\\" ${"[".repeat(500)}\\\\","more":${nested(maximumJsonDepth - 1)}}`;
    expect(parseJsonBody(bytes(inString), null)).toHaveProperty("value");
    const afterString = `{"text":"\\\\","deep":${nested(maximumJsonDepth)}}`;
    expect(parseJsonBody(bytes(afterString), null)).toEqual({ problem: `nests deeper than ${maximumJsonDepth} levels` });
    // Refused by the scan, not by JSON.parse: the text is not even valid JSON after the brackets.
    expect(parseJsonBody(bytes(`${"[".repeat(maximumJsonDepth + 1)} not json`), null)).toEqual({ problem: `nests deeper than ${maximumJsonDepth} levels` });
    expect(parseJsonBody(bytes(`["${"\\".repeat(3)}"]`), null)).toMatchObject({ problem: expect.stringMatching(/^is not JSON/) });
  });
});

describe("readBoundedBody", () => {
  it("reads up to the limit, refuses more with a 413, and reports a client gone mid-body as 499", async () => {
    const post = (body: BodyInit) => new Request("http://gemrelay.test/", { method: "POST", body, duplex: "half" } as RequestInit);
    expect(new TextDecoder().decode(await readBoundedBody(post("x".repeat(100)), 100))).toBe("x".repeat(100));
    await expect(readBoundedBody(post("x".repeat(101)), 100)).rejects.toBeInstanceOf(PayloadTooLargeError);
    const broken = new ReadableStream<Uint8Array>({
      start: (controller) => (controller.enqueue(bytes("{")), controller.error(new Error("aborted"))),
    });
    await expect(readBoundedBody(post(broken), 100)).rejects.toEqual(expect.objectContaining({ constructor: GemrelayError, status: 499 }));
  });
});

describe("request paths", () => {
  it("refuses dot segments, backslashes, encoded slashes and control characters, and broken escapes", () => {
    for (const path of ["/v1beta/..", "/v1beta/./models", "/a/%2e%2E/admin", "/a/.%2e", "/v1beta\\admin"]) expect(rewrittenPathProblem(path), path).not.toBeNull();
    for (const path of ["/v1beta/models/a%2fb", "/v1beta/models/a%5Cb", "/v1beta/models/a%0d%0ab", "/v1beta/models/a%7F", "/v1beta/models/%E0%A4%A", "/v1beta/models/%FF"]) {
      expect(rewrittenPathProblem(path), path).toBeNull();
      expect(requestPathProblem(path), path).not.toBeNull();
    }
    for (const path of ["/", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", "/v1beta/models/...", "/v1beta/files/a..b", "/v1beta/models/%E2%9C%93"]) expect(requestPathProblem(path), path).toBeNull();
  });

  it("takes Gemini model ids only", () => {
    for (const name of ["gemini-2.5-flash", "gemini-2.0-flash-001", "text_embedding.004"]) expect(modelNameProblem(name)).toBeNull();
    for (const name of ["", ".", "..", "a/b", "a\\b", "a b", "a\r\nX-Injected: 1", "models/x"]) expect(modelNameProblem(name), name).not.toBeNull();
    expect(modelNameProblem("a\r\nb")).toBe(`Invalid model name "a\\r\\nb": Gemini model ids are made of letters, digits, '.', '_' and '-'.`);
  });
});
