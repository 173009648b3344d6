/** Reading the real Gemini payloads in test/fixtures/gemini-wire (copied from ../shared/reference). */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const folder = fileURLToPath(new URL("../fixtures/gemini-wire/", import.meta.url));

/** The fixture's text with its leading source comments (`//` or `#` lines) removed. */
export function fixture(name: string): string {
  const lines = readFileSync(folder + name, "utf8").split("\n");
  while (lines.length > 0 && /^\s*(\/\/|#)/.test(lines[0] ?? "")) lines.shift();
  return lines.join("\n");
}

/** The `data:` payloads of an SSE fixture, parsed; works for blank-line and one-event-per-line layouts alike. */
export function fixtureEvents(name: string): unknown[] {
  return fixture(name)
    .split(/\r?\n/)
    .filter((line) => line.startsWith("data: {") || line.startsWith("data: [{"))
    .map((line) => JSON.parse(line.slice("data: ".length)) as unknown);
}
