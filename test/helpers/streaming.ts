/**
 * Proving that a streamed answer is not held anywhere on the way: the simulator writes one event
 * only when the test lets it (sim/gate.ts), and each event must reach the client before the next
 * one is let go. A layer that buffers (a compressing proxy, workerd with `Accept-Encoding: gzip`)
 * holds event 1, the simulator never writes event 2, and the wait for event 1 runs out.
 */
import { expect } from "vitest";
import type { EventGate } from "../sim/gate.ts";

/** How the client's answer is framed: SSE `data:` events, or one JSON array written object by object. */
export type StreamFraming = "sse" | "json-array";

/** Longest wait for one event that the simulator has written; far above any normal hop delay. */
const eventWaitMs = 15_000;

/** Counts the complete events in `text` so far. */
export function completeEvents(text: string, framing: StreamFraming): number {
  if (framing === "sse") return text.split(/\r?\n\r?\n/).slice(0, -1).filter((block) => block.startsWith("data: ")).length;
  // Top-level objects of the array: depth 1 → 2 opens one, 2 → 1 closes it (strings skipped).
  let depth = 0;
  let count = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (inString) {
      if (character === "\\") index++;
      else if (character === '"') inString = false;
    } else if (character === '"') inString = true;
    else if (character === "[" || character === "{") depth++;
    else if (character === "]" || character === "}") {
      depth--;
      if (depth === 1 && character === "}") count++;
    }
  }
  return count;
}

/**
 * Reads the answer releasing one simulator event at a time; every event must arrive while the
 * simulator still holds the next. Resolves with the whole body text and the number of events.
 */
export async function expectEventsAsReleased(answer: Promise<Response>, gate: EventGate, framing: StreamFraming): Promise<{ text: string; events: number }> {
  // A relay's status line comes with the simulator's first event: let that one go first.
  gate.release();
  let released = 1;
  const response = await answer;
  expect(response.status).toBe(200);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let done = false;
  let seen = 0;
  while (!done) {
    if (released <= seen) {
      gate.release();
      released++;
    }
    const deadline = Date.now() + eventWaitMs;
    // Read until one more event is complete, or the stream ends.
    while (!done && completeEvents(text, framing) <= seen) {
      const left = deadline - Date.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const next = await Promise.race([
        reader.read(),
        new Promise<"held">((resolve) => (timer = setTimeout(() => resolve("held"), Math.max(0, left)))),
      ]);
      clearTimeout(timer);
      if (next === "held") {
        await reader.cancel().catch(() => undefined);
        throw new Error(`event ${seen + 1} (of ${gate.written.length} the simulator wrote) did not reach the client: the answer is held on the way (received so far: ${JSON.stringify(text.slice(-200))})`);
      }
      if (next.done) done = true;
      else text += next.value;
    }
    const now = completeEvents(text, framing);
    if (now > seen) {
      seen = now;
      // The simulator has not written the next event: this one was not waiting for it.
      expect(gate.written.length).toBeLessThanOrEqual(released);
      expect(seen).toBe(gate.written.length);
    }
  }
  return { text, events: seen };
}
