/**
 * Issue #8, bad input: oversized, malformed, mistyped, deeply nested and non-UTF-8 bodies; path
 * traversal, encoded slashes and control characters in paths; CR/LF/NUL in header values. On
 * the self-host bundle and on the worker bundle under workerd, over real HTTP with raw sockets
 * where fetch would not send the input. Every case gets a clear error in the caller's protocol
 * (or the runtime's own refusal), the target serves a good request right after, nothing reaches
 * Gemini that should not, and no secret appears in an answer or a log line.
 */
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GeminiSimulator } from "../sim/index.ts";
import type { Target } from "../helpers/targets.ts";
import { startWorker } from "../helpers/chain.ts";
import { startSelfHost, temporaryDirectory } from "../helpers/process.ts";
import { chunkedBody, rawExchange, requestBytes, type RawResponse } from "./raw-http.ts";

const accessKey = "sk-badinput-access-0123456789";
const adminKey = "admin-badinput-0123456789";
const relayToken = "relay-badinput-hop-secret-0123456789";
/** A client's own Gemini key for pass-through, which must not be logged either (built, so no key-shaped literal). */
const clientKey = "AIzaSy" + "BadInputOwnKey".repeat(2) + "12345";
const maxBodyBytes = 262_144;
const generatePath = "/v1beta/models/gemini-2.5-flash:generateContent";
const goodBody = JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] });

type Protocol = "gemini" | "openai";

/** What the worker target under workerd does differently: its runtime resolves `..` and `\` before the worker sees the path. */
const workerd = "worker under workerd";

/** A running target and everything it logged so far. */
type Logged = Target & { logs(): string };

/** The self-host and the worker, each able to hand over its log output. */
const targets: [string, (env: Record<string, string>) => Promise<Logged>][] = [
  [
    "self-host",
    async (env) => {
      const dataDir = temporaryDirectory();
      const child = await startSelfHost({ DATA_DIR: dataDir, KEYS_FILE: join(dataDir, "keys.txt"), ...env });
      return Object.assign(child, { logs: () => child.output() });
    },
  ],
  [
    workerd,
    async (env) => {
      let output = "";
      const worker = await startWorker(env, undefined, (text) => (output += text));
      return Object.assign(worker, { logs: () => output });
    },
  ],
];

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Asserts `response` is exactly an error in `protocol`'s shape with `status`, its message matching `message`. */
function expectError(response: RawResponse | { status: number; body: string; contentType: string | null }, protocol: Protocol, status: number, message: RegExp): Record<string, unknown> {
  const contentType = "headers" in response ? response.headers["content-type"] : response.contentType;
  expect(response.status, response.body).toBe(status);
  expect(contentType).toMatch(/^application\/json/);
  const body = parseJson(response.body) as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(["error"]);
  if (protocol === "gemini") {
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "status"]);
    expect(body.error.code).toBe(status);
  } else {
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
    expect(body.error.type).toBe("invalid_request_error");
  }
  expect(body.error.message).toMatch(message);
  return body.error;
}

describe.each(targets)("bad input on %s", (name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Logged;
  let poolKey = "";
  /** Every answer body seen in this suite, checked for secrets at the end. */
  const answers: string[] = [];

  const post = async (path: string, body: BodyInit, headers: Record<string, string> = {}) => {
    const response = await fetch(target.url + path, { method: "POST", headers: { "x-goog-api-key": accessKey, "content-type": "application/json", ...headers }, body, duplex: "half" } as RequestInit);
    const text = await response.text();
    answers.push(text);
    return { status: response.status, body: text, contentType: response.headers.get("content-type") };
  };
  const raw = async (bytes: Buffer) => {
    const response = await rawExchange(target.url, bytes);
    answers.push(response.body, JSON.stringify(response.headers));
    return response;
  };
  const generateCalls = () => sim.requests.filter((request) => request.action === "streamGenerateContent");

  beforeAll(async () => {
    sim = await GeminiSimulator.start();
    poolKey = sim.createKey();
    const env = { AUTH_KEY: accessKey, ADMIN_KEY: adminKey, RELAY_TOKEN: relayToken, GEMINI_API_KEYS: poolKey, GEMINI_UPSTREAM: sim.url, MAX_BODY_BYTES: String(maxBodyBytes) };
    target = await startTarget(env);
  });

  afterEach(async () => {
    // Whatever came before, the target still serves a good request.
    sim.reset();
    const answer = await post(generatePath, JSON.stringify({ contents: [{ role: "user", parts: [{ text: "still there?" }] }] }));
    expect(answer.status, answer.body).toBe(200);
    expect(answer.body).toContain("Echo: still there?");
    sim.reset();
  });

  afterAll(async () => {
    await target.stop();
    await sim.close();
    // Logs are complete once the target has stopped.
    const logs = target.logs();
    expect(logs).toContain('"event":"attempt"');
    expect(logs).not.toMatch(/"event":"(?:openai\.)?unhandled"/);
    for (const secret of [poolKey, accessKey, adminKey, relayToken, clientKey]) {
      expect(logs).not.toContain(secret);
      for (const answer of answers) expect(answer).not.toContain(secret);
    }
    // No log line was split by a CR or LF from the input.
    expect(logs.split(/\r?\n|\r/).filter((line) => /^x-injected/i.test(line))).toEqual([]);
  });

  it("refuses bodies over MAX_BODY_BYTES with 413 in the caller's protocol, by Content-Length and while streaming", async () => {
    const oversized = "x".repeat(maxBodyBytes + 1);
    const chunked = chunkedBody(Array.from({ length: 30 }, () => "x".repeat(10_000)));
    const chatHead = (framing: [string, string]) => requestBytes("POST", "/v1/chat/completions", [["authorization", `Bearer ${accessKey}`], ["content-type", "application/json"], framing]);
    const cases: [string, Buffer, Protocol][] = [
      ["native, declared", Buffer.concat([requestBytes("POST", generatePath, [["x-goog-api-key", accessKey], ["content-length", String(10 * 1024 * 1024)]]), Buffer.from(oversized.slice(0, 1000))]), "gemini"],
      ["native, chunked", requestBytes("POST", generatePath, [["x-goog-api-key", accessKey], ["transfer-encoding", "chunked"]], chunked), "gemini"],
      ["OpenAI, declared", Buffer.concat([chatHead(["content-length", String(maxBodyBytes + 1)]), Buffer.from(oversized.slice(0, 1000))]), "openai"],
      ["OpenAI, chunked", Buffer.concat([chatHead(["transfer-encoding", "chunked"]), Buffer.from(chunked)]), "openai"],
      ["Gemini's OpenAI endpoint, chunked", requestBytes("POST", "/v1beta/openai/chat/completions", [["authorization", `Bearer ${accessKey}`], ["transfer-encoding", "chunked"]], chunked), "openai"],
      ["admin API, chunked", requestBytes("POST", "/api/keys", [["authorization", `Bearer ${adminKey}`], ["transfer-encoding", "chunked"]], chunked), "gemini"],
    ];
    for (const [label, bytes, protocol] of cases) {
      const error = expectError(await raw(bytes), protocol, 413, new RegExp(`larger than gemrelay's limit of ${maxBodyBytes} bytes \\(MAX_BODY_BYTES\\)`));
      if (protocol === "gemini") expect(error.status, label).toBe("INVALID_ARGUMENT");
      else expect(error, label).toMatchObject({ param: null, code: "request_too_large" });
    }
    expect(sim.requests).toEqual([]);

    // Just under the limit is served.
    const text = "y".repeat(maxBodyBytes - 200);
    const fitting = await post(generatePath, JSON.stringify({ contents: [{ role: "user", parts: [{ text }] }] }));
    expect(fitting.status).toBe(200);
    expect(fitting.body).toContain(`Echo: ${text}`);
  });

  it("answers malformed JSON, form or multipart bodies, invalid UTF-8 and deep nesting with a 400 naming the problem", async () => {
    const deep = `{"contents":[{"parts":[{"text":"hi"}]}],"extra":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const invalidUtf8 = Buffer.concat([Buffer.from('{"contents":[{"parts":[{"text":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}]}]}')]);
    const multipart = "--b\r\ncontent-disposition: form-data; name=\"json\"\r\n\r\n" + goodBody + "\r\n--b--\r\n";
    const native: [BodyInit, Record<string, string>, RegExp][] = [
      ["{not json", {}, /^Invalid JSON payload received: the request body is not JSON \(/],
      [goodBody, { "content-type": "application/x-www-form-urlencoded" }, /has Content-Type application\/x-www-form-urlencoded, which is not JSON/],
      [multipart, { "content-type": "multipart/form-data; boundary=b" }, /has Content-Type multipart\/form-data, which is not JSON/],
      [invalidUtf8, {}, /the request body is not valid UTF-8/],
      [deep, {}, /the request body nests deeper than 100 levels/],
    ];
    for (const [body, headers, message] of native) {
      expect(expectError(await post(generatePath, body, headers), "gemini", 400, message).status).toBe("INVALID_ARGUMENT");
    }

    const chat = (extra: string) => `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}]${extra}}`;
    const deepTool = `,"tools":[{"type":"function","function":{"name":"f","parameters":${'{"type":"object","properties":{"a":'.repeat(60)}{"type":"string"}${"}}".repeat(60)}}}]`;
    const openai: [BodyInit, Record<string, string>, RegExp][] = [
      ["{not json", {}, /not JSON/],
      [Buffer.concat([Buffer.from(chat("").slice(0, -1)), Buffer.from(',"user":"'), Buffer.from([0xff]), Buffer.from('"}')]), {}, /not valid UTF-8/],
      [multipart, { "content-type": "multipart/form-data; boundary=b" }, /multipart\/form-data, which is not JSON/],
      [chat(deepTool), {}, /nests deeper than 100 levels/],
    ];
    for (const [body, headers, message] of openai) {
      const error = expectError(await post("/v1/chat/completions", body, { authorization: `Bearer ${accessKey}`, ...headers }), "openai", 400, message);
      expect(error).toMatchObject({ param: null, code: "invalid_json" });
    }

    const admin = { authorization: `Bearer ${adminKey}` };
    expectError(await post("/api/keys", invalidUtf8, admin), "gemini", 400, /^The request body is not valid UTF-8\.$/);
    expectError(await post("/api/keys", `{"keys":${"[".repeat(5_000)}${"]".repeat(5_000)}}`, admin), "gemini", 400, /nests deeper than 100 levels/);
    expect(generateCalls()).toEqual([]);

    // Lenient where Gemini is: JSON without a Content-Type, or labelled text/plain, is served.
    for (const headers of [[], [["content-type", "text/plain"]]] satisfies [string, string][][]) {
      const served = await raw(requestBytes("POST", generatePath, [["x-goog-api-key", accessKey], ...headers], goodBody));
      expect(served.status, served.body).toBe(200);
    }
    expect(generateCalls()).toHaveLength(2);
  });

  it("serves every path as sent: traversal, encoded slashes, control characters and bad escapes reach no other route and never Gemini", async () => {
    const key: [string, string] = ["x-goog-api-key", accessKey];
    const bearer: [string, string] = ["authorization", `Bearer ${accessKey}`];
    const dotSegment = /contains a '\.' or '\.\.' segment/;
    const separator = /contains a backslash or an encoded slash/;
    // [method, target, headers, self-host answer, workerd answer (when it differs)]
    type Expected = [Protocol, number, RegExp];
    const cases: [string, string, [string, string][], Expected, Expected?][] = [
      ["POST", "/v1beta/models/../../admin", [key], ["gemini", 400, dotSegment], ["gemini", 404, /^No route for POST \/admin\./]],
      ["GET", "/v1beta/models/%2e%2e/%2E%2e/api/keys", [key], ["gemini", 400, dotSegment], ["gemini", 401, /^Admin credential required/]],
      ["POST", "/v1beta\\..\\admin", [key], ["gemini", 400, separator], ["gemini", 404, /^No route for POST \/admin\./]],
      ["POST", "/v1beta/models/gemini%2F..%2F..%2Fadmin:generateContent", [key], ["gemini", 400, separator]],
      ["POST", "/v1beta/models/gemini-2.5-flash%5c..:generateContent", [key], ["gemini", 400, separator]],
      ["POST", "/v1beta/models/gemini%0D%0AX-Injected:%201:generateContent", [key], ["gemini", 400, /encoded control character/]],
      ["POST", "/v1beta/models/%E0%A4%A:generateContent", [key], ["gemini", 400, /not valid percent-encoded UTF-8/]],
      ["POST", "/v1beta/models/..:generateContent", [key], ["gemini", 400, /^Invalid model name "\.\.": /]],
      ["POST", "/v1beta/models/a..b%20c:countTokens", [key], ["gemini", 400, /^Invalid model name "a\.\.b c": /]],
      ["GET", "/v1/models/gemini%0A", [bearer], ["openai", 400, /encoded control character/]],
    ];
    for (const [method, path, headers, selfHost, onWorkerd] of cases) {
      const [protocol, status, message] = name === workerd && onWorkerd ? onWorkerd : selfHost;
      const response = await raw(requestBytes(method, path, headers, method === "POST" ? goodBody : ""));
      expectError(response, protocol, status, message);
      expect(response.headers["x-injected"], path).toBeUndefined();
    }
    for (const model of ["../../admin", "gemini/../../v1beta/files", "gemini\r\nX-Injected: 1"]) {
      const error = expectError(await post("/v1/chat/completions", JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }), { authorization: `Bearer ${accessKey}` }), "openai", 400, /^Invalid model name /);
      expect(error).toMatchObject({ param: "model", code: "invalid_value" });
    }
    expect(sim.requests).toEqual([]);
  });

  it("never lets CR, LF or NUL from a client split a header, and refuses broken Host headers and oversized headers", async () => {
    // A pass-through key from `?key=` decodes to anything; it would go upstream as a header.
    const injected = `${clientKey}%0D%0AX-Injected:%201`;
    const passThrough = await raw(requestBytes("POST", `${generatePath}?key=${injected}`, [["x-relay-auth", accessKey]], goodBody));
    expectError(passThrough, "gemini", 401, /^API key not valid: keys are printable ASCII without spaces\.$/);
    expect(sim.requests).toEqual([]);

    const withHeader = (value: string) => raw(requestBytes("POST", generatePath, [["x-goog-api-key", accessKey], ["x-goog-api-client", value]], goodBody));
    // Node refuses CR, LF and NUL in a header value, and folded lines, with a bare 400 and closes.
    // workerd reads a bare CR or LF as a line end and a folded line as more of the value, and
    // refuses NUL itself.
    for (const value of ["a\rX-Injected: 1", "a\nX-Injected: 1", "a\r\n X-Injected: 1", "a\u0000b"]) {
      const response = await withHeader(value);
      if (name !== workerd) {
        expect([response.status, response.body]).toEqual([400, ""]);
      } else if (value.includes("\u0000")) {
        expect([response.status, response.headers["content-type"], response.body]).toEqual([400, "text/plain", "ERROR: The headers sent by your client are not valid."]);
      } else {
        expect(response.status, response.body).toBe(200);
      }
      expect(response.headers["x-injected"]).toBeUndefined();
    }
    // Only whitelisted headers go upstream, and none carries a line break.
    for (const request of sim.requests) {
      expect(request.headers["x-injected"]).toBeUndefined();
      for (const value of Object.values(request.headers)) expect(value).not.toMatch(/[\r\n\0]/);
    }

    // A Host header no URL can be made of: the self-host says so; workerd itself fails with a bare 500.
    const badHost = await raw(Buffer.from("GET /health HTTP/1.1\r\nhost: exa<mple>\r\n\r\n"));
    if (name === workerd) expect([badHost.status, badHost.body]).toEqual([500, "Internal Server Error"]);
    else expectError(badHost, "gemini", 400, /^Malformed request: Invalid URL\.$/);
    const noHost = await raw(Buffer.from("GET /health HTTP/1.1\r\n\r\n"));
    expect([noHost.status, noHost.body]).toEqual([400, name === workerd ? "Bad Request" : ""]);

    // Node's header limit (16 KiB) is a 431; workerd's is larger and serves this one.
    const huge = await raw(requestBytes("POST", generatePath, [["x-goog-api-key", accessKey], ["x-padding", "p".repeat(64 * 1024)]], goodBody));
    expect(huge.status).toBe(name === workerd ? 200 : 431);
  });
});
