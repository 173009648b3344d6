/** Issue 17: Anthropic Messages requests → Gemini generate requests, block by block. */
import { describe, expect, it } from "vitest";
import { toGenerateRequest } from "../../shared/anthropic/request.ts";
import { messagesRequestSchema } from "../../shared/anthropic/schema.ts";
import { toolCallIdWithSignature } from "../../shared/openai/signature.ts";

const images = { fetch: () => Promise.reject(new Error("no network in this test")), bodyLimit: 1_000_000 };
const map = (body: Record<string, unknown>) => toGenerateRequest(messagesRequestSchema.parse({ model: "claude-sonnet-4-5", max_tokens: 100, ...body }), [], images);

describe("Anthropic request mapping", () => {
  it("replays a thinking block's signature on the part after it, never its text; redacted thinking is dropped", async () => {
    const mapped = await map({
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: [{ type: "thinking", thinking: "secret thoughts", signature: "c2lnMQ==" }, { type: "redacted_thinking", data: "xyz" }, { type: "text", text: "Hello." }] },
        { role: "user", content: "again" },
      ],
    });
    expect(mapped.body.contents[1]).toEqual({ role: "model", parts: [{ text: "Hello.", thoughtSignature: "c2lnMQ==" }] });
    expect(JSON.stringify(mapped.body)).not.toContain("secret thoughts");
  });

  it("takes a tool_use signature from its id, and maps PDFs, text documents and images", async () => {
    const id = toolCallIdWithSignature("c2lnbmF0dXJlMg==").replace(/^call_/, "toolu_");
    const mapped = await map({
      messages: [
        {
          role: "user",
          content: [
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" } },
            { type: "document", source: { type: "text", media_type: "text/plain", data: "plain words" } },
            { type: "image", source: { type: "base64", media_type: "image/PNG", data: "iVBO Rw==" } },
          ],
        },
        { role: "assistant", content: [{ type: "tool_use", id, name: "lookup", input: { q: 1 } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: '{"found": true}' }, { type: "text", text: "go on" }] },
      ],
    });
    expect(mapped.body.contents[0]!.parts).toEqual([{ inlineData: { mimeType: "application/pdf", data: "JVBERi0x" } }, { text: "plain words" }, { inlineData: { mimeType: "image/png", data: "iVBORw==" } }]);
    expect(mapped.body.contents[1]!.parts).toEqual([{ functionCall: { name: "lookup", args: { q: 1 } }, thoughtSignature: "c2lnbmF0dXJlMg==" }]);
    expect(mapped.body.contents[2]!.parts).toEqual([{ functionResponse: { name: "lookup", response: { found: true } } }, { text: "go on" }]);
  });

  it("refuses a tool_result that answers no tool_use, and tool_choice without tools", async () => {
    await expect(map({ messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_x", content: "?" }] }] })).rejects.toThrow(/messages\[0\]\.content\[0\]\.tool_use_id/);
    await expect(map({ messages: [{ role: "user", content: "x" }], tool_choice: { type: "any" } })).rejects.toThrow(/tool_choice/);
  });

  it("maps tool_choice, leaves server tools out, and caps the thinking budget", async () => {
    const mapped = await map({
      messages: [{ role: "user", content: "x" }],
      tools: [{ name: "lookup", input_schema: { type: "object" } }, { type: "web_search_20250305", name: "web_search" }],
      tool_choice: { type: "tool", name: "lookup" },
      thinking: { type: "enabled", budget_tokens: 60_000 },
    });
    expect(mapped.body.tools).toEqual([{ functionDeclarations: [{ name: "lookup", parametersJsonSchema: { type: "object" } }] }]);
    expect(mapped.body.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["lookup"] } });
    expect(mapped.body.generationConfig).toEqual({ maxOutputTokens: 100, thinkingConfig: { thinkingBudget: 24_576, includeThoughts: true } });
    expect(mapped.model).toBe("claude-sonnet-4-5");
  });
});
