/**
 * The Gemini simulator: a loopback server that speaks the Gemini API wire format and injects
 * faults on demand. Start one with `await GeminiSimulator.start()`, point an upstream URL at
 * `sim.url` (or `sim.hopUrl("relay-a")`), create keys with `sim.createKey()`, and `await
 * sim.close()` when done.
 */
export { GeminiSimulator } from "./simulator.ts";
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
