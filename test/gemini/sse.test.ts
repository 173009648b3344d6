import { describe, expect, it } from "vitest";
import { SseDataReader, encodeSseEvent, jsonArrayEncoder } from "../../shared/gemini/sse.ts";
import { transformed, type PullSource } from "../../shared/streams.ts";
import { fixture } from "../helpers/fixtures.ts";
import { seededRandom as random } from "../helpers/random.ts";

const sseFixtures = [
  "gemini_sse_long_text_first_and_last_events.sse",
  "gemini_sse_thought_then_MAX_TOKENS_crlf.sse",
  "gemini_sse_MALFORMED_FUNCTION_CALL_crlf.sse",
  "gemini_sse_functioncall_with_thoughtSignature.sse",
  "gemini_sse_thought_text_signature_functioncall.sse",
];

/** The `data:` payloads of a fixture, read the plain way (one event per `data:` line). */
function expectedPayloads(text: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.startsWith("data: "))
    .map((line) => line.slice("data: ".length));
}

/** A byte stream of `bytes` cut at random points (also inside multi-byte characters and CRLFs). */
function splitStream(bytes: Uint8Array, next: () => number): ReadableStream<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const size = 1 + Math.floor(next() * 40);
    pieces.push(bytes.slice(offset, offset + size));
    offset += size;
  }
  return new ReadableStream({
    pull(controller) {
      const piece = pieces.shift();
      if (piece) controller.enqueue(piece);
      else controller.close();
    },
  });
}

async function readAll<T>(source: ReadableStream<T> | PullSource<T>): Promise<T[]> {
  const reader = source instanceof ReadableStream ? source.getReader() : source;
  const items: T[] = [];
  for (let next = await reader.read(); !next.done; next = await reader.read()) items.push(next.value);
  return items;
}

describe("SseDataReader", () => {
  for (const name of sseFixtures) {
    it(`decodes ${name} identically for 50 random split patterns`, async () => {
      const text = fixture(name);
      const expected = expectedPayloads(text);
      expect(expected.length).toBeGreaterThan(0);
      // Google frames with CRLF CRLF: rebuild the stream that way whatever the fixture's line ends.
      const wire = new TextEncoder().encode(expected.map((data) => `data: ${data}\r\n\r\n`).join(""));
      for (let seed = 1; seed <= 50; seed++) {
        const payloads = await readAll(new SseDataReader(splitStream(wire, random(seed))));
        expect(payloads, `seed ${seed}`).toEqual(expected);
        for (const payload of payloads) expect(() => JSON.parse(payload)).not.toThrow();
      }
    });
  }

  it("accepts LF framing and skips comment lines (heartbeats)", async () => {
    const wire = new TextEncoder().encode(': keep-alive\n\ndata: {"a":1}\n\n: keep-alive\r\n\r\ndata: {"b":2}\r\n\r\n');
    expect(await readAll(new SseDataReader(splitStream(wire, random(7))))).toEqual(['{"a":1}', '{"b":2}']);
  });

  it("round-trips what encodeSseEvent writes", async () => {
    const events = ['{"x":"ä€😀"}', '{"y":[1,2,3]}'];
    const wire = new Uint8Array(events.flatMap((event) => [...encodeSseEvent(event)]));
    expect(new TextDecoder().decode(wire)).toBe(events.map((event) => `data: ${event}\r\n\r\n`).join(""));
    expect(await readAll(new SseDataReader(splitStream(wire, random(3))))).toEqual(events);
  });
});

describe("jsonArrayEncoder", () => {
  it("writes the streamed JSON array form, parseable as a whole", async () => {
    const payloads = expectedPayloads(fixture("gemini_sse_long_text_first_and_last_events.sse"));
    const source = new ReadableStream<string>({
      start(controller) {
        for (const payload of payloads) controller.enqueue(payload);
        controller.close();
      },
    });
    const bytes = await readAll(transformed(source, jsonArrayEncoder()));
    const text = bytes.map((chunk) => new TextDecoder().decode(chunk)).join("");
    expect(text.startsWith("[")).toBe(true);
    expect(JSON.parse(text)).toEqual(payloads.map((payload) => JSON.parse(payload)));
    expect(bytes).toHaveLength(payloads.length + 1);
  });

  it("writes [] for an empty stream", async () => {
    const bytes = await readAll(new ReadableStream<string>({ start: (controller) => controller.close() }).pipeThrough(new TransformStream(jsonArrayEncoder())));
    expect(new TextDecoder().decode(bytes[0])).toBe("[]");
  });
});
