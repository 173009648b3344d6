/** The continuation request: the original plus the visible text, nothing else changed. */
import { describe, expect, it } from "vitest";
import type { GenerateContentRequest } from "../../shared/gemini/types.ts";
import { continuationRequest, continuePrompt } from "../../shared/resume/continuation.ts";
import { sentinelApplies, sentinelInstruction, withSentinelInstruction } from "../../shared/resume/sentinel.ts";
import { fixture } from "../helpers/fixtures.ts";

const original: GenerateContentRequest = {
  contents: [{ role: "user", parts: [{ text: "Write a poem." }] }],
  systemInstruction: { parts: [{ text: "Be brief." }] },
  tools: [{ functionDeclarations: [{ name: "lookup" }] }],
  toolConfig: { functionCallingConfig: { mode: "AUTO" } },
  generationConfig: { temperature: 0.3, thinkingConfig: { includeThoughts: true } },
  safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }],
};

describe("continuationRequest", () => {
  it("prefill: appends the visible text as the model's turn and keeps everything else", () => {
    const request = continuationRequest(original, "Roses are red,", "prefill");
    expect(request.contents).toEqual([...original.contents, { role: "model", parts: [{ text: "Roses are red," }] }]);
    const { contents: _contents, ...rest } = request;
    const { contents: _originalContents, ...originalRest } = original;
    expect(rest).toEqual(originalRest);
    expect(original.contents).toHaveLength(1);
  });

  it("user-turn: adds the continue prompt after the model's turn", () => {
    const request = continuationRequest(original, "Roses are red,", "user-turn");
    expect(request.contents.slice(1)).toEqual([
      { role: "model", parts: [{ text: "Roses are red," }] },
      { role: "user", parts: [{ text: continuePrompt }] },
    ]);
  });

  it("is the original request itself when nothing visible was sent (a restart)", () => {
    expect(continuationRequest(original, "", "prefill")).toBe(original);
  });

  it("extends a model turn the client prefilled itself", () => {
    const prefilled: GenerateContentRequest = { contents: [...original.contents, { role: "model", parts: [{ text: "Sure: " }] }] };
    expect(continuationRequest(prefilled, "Roses", "prefill").contents.at(-1)).toEqual({ role: "model", parts: [{ text: "Sure: " }, { text: "Roses" }] });
  });

  it("keeps a replayed history with thought signatures verbatim and adds no signature of its own", () => {
    const history = JSON.parse(fixture("gemini_request_replay_history_with_thoughtSignature.json")) as GenerateContentRequest;
    const request = continuationRequest(history, "Partial answer", "prefill");
    expect(request.contents.slice(0, history.contents.length)).toEqual(history.contents);
    const added = request.contents.at(-1)!;
    expect(JSON.stringify(added)).not.toContain("thoughtSignature");
    expect(JSON.stringify(added)).not.toContain('"thought"');
  });
});

describe("sentinel instruction", () => {
  it("applies only without tools and without structured output", () => {
    expect(sentinelApplies({ contents: [] })).toBe(true);
    expect(sentinelApplies(original)).toBe(false);
    expect(sentinelApplies({ contents: [], generationConfig: { responseMimeType: "application/json" } })).toBe(false);
    expect(sentinelApplies({ contents: [], generationConfig: { responseSchema: { type: "OBJECT" } } })).toBe(false);
  });

  it("is appended to the system instruction", () => {
    expect(withSentinelInstruction({ contents: [], systemInstruction: { parts: [{ text: "Be brief." }] } }).systemInstruction).toEqual({
      parts: [{ text: "Be brief." }, { text: sentinelInstruction }],
    });
    expect(withSentinelInstruction({ contents: [] }).systemInstruction).toEqual({ parts: [{ text: sentinelInstruction }] });
  });
});
