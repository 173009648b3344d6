/**
 * Runs a Gemini simulator by hand: `npx tsx test/sim/main.ts [--port 8788] [--chunk-chars 24]
 * [--interval-ms 0] [--keys 3]`. Prints the URL and the created keys; drive it through the
 * `/__sim/*` control API (see control.ts). Stops on SIGINT/SIGTERM.
 */
import { parseArgs } from "node:util";
import { GeminiSimulator } from "./simulator.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    "chunk-chars": { type: "string", default: "24" },
    "interval-ms": { type: "string", default: "0" },
    keys: { type: "string", default: "1" },
  },
});

const simulator = await GeminiSimulator.start({
  port: Number(values.port),
  host: values.host,
  chunkChars: Number(values["chunk-chars"]),
  intervalMs: Number(values["interval-ms"]),
});
console.log(simulator.url);
for (const key of simulator.createKeys(Number(values.keys))) console.log(`key ${key}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void simulator.close().then(() => process.exit(0));
  });
}
