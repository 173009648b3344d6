/** Small pieces of the OpenAI surface: signatures in ids, internal hosts, base64, settings, finish reasons. */
import { describe, expect, it } from "vitest";
import { float32ToBase64 } from "../../shared/openai/base64.ts";
import { defaultMaxBodyBytes, readWorkerConfig } from "../../shared/config/env.ts";
import { readOpenAiConfig } from "../../shared/openai/config.ts";
import { openAiFinishReason } from "../../shared/openai/finish.ts";
import { isAllowedHost } from "../../shared/openai/remote-image.ts";
import { isInternalHost } from "../../shared/net/internal-address.ts";
import { newToolCallId, signatureFromToolCallId, toolCallIdWithSignature } from "../../shared/openai/signature.ts";

describe("thought signatures in tool call ids", () => {
  it("round-trips standard base64 exactly and leaves other ids alone", () => {
    for (const signature of ["Eu4FCusFARFNMg==", "CikBcsjafFK168IbtVtoxVV0Tsn8O+eU45rzJahzwuKG/w==", "EqMDCqADARFNMg9Z", "abc="]) {
      const id = toolCallIdWithSignature(signature);
      expect(id).toMatch(/^call_[A-Za-z0-9]{24}__thought__[A-Za-z0-9_-]+$/);
      expect(signatureFromToolCallId(id)).toBe(signature);
    }
    expect(toolCallIdWithSignature("not base64!")).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(toolCallIdWithSignature(undefined)).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(signatureFromToolCallId(newToolCallId())).toBeUndefined();
    expect(signatureFromToolCallId("call_x__thought__$$")).toBeUndefined();
  });
});

describe("remote image hosts", () => {
  it("knows internal addresses, however they are spelled", () => {
    const internal = ["localhost", "a.localhost", "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "[::1]", "[fd00::1]", "[fe80::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "metadata.google.internal", "printer.local", "intranet"];
    for (const host of internal) expect(isInternalHost(new URL(`https://${host}/`).hostname), host).toBe(true);
    expect(isInternalHost(new URL("https://2130706433/").hostname)).toBe(true);
    for (const host of ["images.example.com", "8.8.8.8", "[2001:4860::8888]", "172.32.0.1"]) expect(isInternalHost(new URL(`https://${host}/`).hostname), host).toBe(false);
  });

  it("matches the allow-list exactly or by *.domain", () => {
    expect(isAllowedHost("cdn.example.com", ["cdn.example.com"])).toBe(true);
    expect(isAllowedHost("a.b.example.com", ["*.example.com"])).toBe(true);
    expect(isAllowedHost("example.com", ["*.example.com"])).toBe(false);
    expect(isAllowedHost("evilexample.com", ["*.example.com"])).toBe(false);
    expect(isAllowedHost("cdn.example.com.evil.net", ["cdn.example.com"])).toBe(false);
  });
});

describe("float32ToBase64", () => {
  it("writes little-endian float32 as the openai SDK decodes it", () => {
    const base64 = float32ToBase64([1, -0.5, 0.25]);
    const bytes = Uint8Array.from(atob(base64), (character) => character.charCodeAt(0));
    expect(Array.from(new Float32Array(bytes.buffer))).toEqual([1, -0.5, 0.25]);
  });
});

describe("readOpenAiConfig", () => {
  it("reads aliases, allow-list and think tags, naming a bad variable", () => {
    expect(readOpenAiConfig({})).toEqual({ modelAliases: new Map(), imageHosts: [], thinkTags: false });
    const config = readOpenAiConfig({ OPENAI_MODEL_ALIASES: "gpt-4o=gemini-2.5-flash\ngpt-4o-mini = models/gemini-2.5-flash-lite", OPENAI_IMAGE_URL_ALLOWLIST: "Images.Example.com", OPENAI_THINK_TAGS: "on" });
    expect([...config.modelAliases]).toEqual([["gpt-4o", "gemini-2.5-flash"], ["gpt-4o-mini", "gemini-2.5-flash-lite"]]);
    expect(config).toMatchObject({ imageHosts: ["images.example.com"], thinkTags: true });
    expect(() => readOpenAiConfig({ OPENAI_MODEL_ALIASES: "gpt-4o" })).toThrow(/OPENAI_MODEL_ALIASES\[0\]/);
    expect(() => readOpenAiConfig({ OPENAI_THINK_TAGS: "yes" })).toThrow(/OPENAI_THINK_TAGS/);
  });

  it("takes the body limit from MAX_BODY_BYTES, or OPENAI_MAX_BODY_BYTES as its old name", () => {
    expect(readWorkerConfig({}).maxBodyBytes).toBe(defaultMaxBodyBytes);
    expect(readWorkerConfig({ OPENAI_MAX_BODY_BYTES: "2048" }).maxBodyBytes).toBe(2048);
    expect(readWorkerConfig({ MAX_BODY_BYTES: "4096", OPENAI_MAX_BODY_BYTES: "2048" }).maxBodyBytes).toBe(4096);
    expect(() => readWorkerConfig({ MAX_BODY_BYTES: "lots" })).toThrow(/MAX_BODY_BYTES/);
    expect(() => readWorkerConfig({ OPENAI_MAX_BODY_BYTES: "lots" })).toThrow(/OPENAI_MAX_BODY_BYTES/);
  });
});

describe("openAiFinishReason", () => {
  it("maps every documented finishReason, tool calls and prompt blocks", () => {
    expect(openAiFinishReason("STOP", false, false)).toBe("stop");
    expect(openAiFinishReason("STOP", true, false)).toBe("tool_calls");
    expect(openAiFinishReason("MAX_TOKENS", true, false)).toBe("length");
    for (const reason of ["SAFETY", "RECITATION", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY", "LANGUAGE"]) expect(openAiFinishReason(reason, false, false)).toBe("content_filter");
    for (const reason of ["OTHER", "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "SOMETHING_NEW"]) expect(openAiFinishReason(reason, false, false)).toBe("stop");
    expect(openAiFinishReason(undefined, false, true)).toBe("content_filter");
  });
});
