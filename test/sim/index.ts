/**
 * The Gemini simulator: a loopback server that speaks the Gemini API wire format (captures in
 * test/fixtures/gemini-wire/) and injects faults on demand.
 *
 * ```ts
 * const sim = await GeminiSimulator.start();            // 127.0.0.1, free port
 * const key = sim.createKey();                           // "AIzaSim…", behaviour "ok"
 * const limited = sim.createKey("rate-limit-minute");    // 429 with QuotaFailure + RetryInfo
 * sim.setHopBehaviour("hkg", "location");                // via sim.hopUrl("hkg"): 400 location refused
 * sim.setAnswer(() => "A long answer …");                // default: `Echo: ${lastUserText}`
 * sim.enqueue({ kind: "cut", afterChars: 40, mode: "close" }, { model: "gemini-2.5-flash" });
 * // point GEMINI_UPSTREAM (or a relay's upstream) at sim.url or sim.hopUrl("relay-a") …
 * expect(sim.requests[0]).toMatchObject({ hop: "relay-a", action: "streamGenerateContent", key });
 * sim.reset();                                           // between tests; keys survive
 * await sim.close();                                     // ends stalled streams too
 * ```
 *
 * Other processes drive it over HTTP under `/__sim/` (see control.ts); `npx tsx test/sim/main.ts`
 * runs one by hand.
 */
export { GeminiSimulator } from "./simulator.ts";
export type { LiveSession } from "./live.ts";
export { EventGate } from "./gate.ts";
export { continuingAnswer, defaultThoughts, echoAnswer, type ContinuingOptions } from "./answers.ts";
export { finishReasonOf, parseSseEvents, partsOf, readSseEvents, thoughtText, visibleText } from "./client.ts";
export { handleControl, faultSchema, type SimulatorControl } from "./control.ts";
export {
  apiKeyInvalidError,
  behaviourError,
  durationSeconds,
  googleError,
  internalError,
  jsonContentType,
  limitZeroError,
  modelNotFoundError,
  overloadedError,
  quotaDayError,
  rateLimitMinuteError,
  suspendedError,
  unregisteredCallerError,
  userLocationError,
  type HttpAnswer,
} from "./errors.ts";
export { embed } from "./embeddings.ts";
export { buildStream, inStreamOverload, mergeStream, splitText, type GenerationInput, type StreamScript } from "./generation.ts";
export { compactGoogleJson, prettyGoogleJson } from "./json.ts";
export { randomKey } from "./keys.ts";
export { findModel, isGemini3, models, type SimulatedModel } from "./models.ts";
export { EventEncoder, type StreamFormat } from "./wire.ts";
export * from "./types.ts";
