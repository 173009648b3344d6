/**
 * Answers that are not only text, in Gemini's wire shape: image output of the image models
 * (`gemini-2.5-flash-image`, `responseModalities: ["IMAGE"]` or with TEXT), audio of the TTS
 * models (`audio/L16;codec=pcm;rate=24000` inline data, streamed in several chunks) and code
 * execution (`executableCode` then `codeExecutionResult` between text, with the `codeExecution`
 * tool). https://ai.google.dev/gemini-api/docs/image-generation, …/speech-generation,
 * …/code-execution
 */
import { crc32, deflateSync } from "node:zlib";
import { generationConfigOf, trailingModelText } from "./content.ts";
import { isRecord } from "./json.ts";
import { stripModelsPrefix } from "./models.ts";

/** What kind of answer a request gets. */
export type OutputKind = "text" | "image" | "image-only" | "audio" | "code";

/** The mime type of Gemini's TTS audio: raw 16-bit little-endian PCM, mono, 24 kHz. */
export const ttsMimeType = "audio/L16;codec=pcm;rate=24000";

/** Tokens Gemini bills for one generated image (1024×1024). */
export const imageTokens = 1290;

/** The intro text of a code execution answer, before its executableCode part. */
export const codeIntro = "Let me compute that with code.\n\n";
/** The code and its result in a code execution answer. */
export const sampleCode = { language: "PYTHON", code: "print(sum(range(10)))\n" };
export const sampleCodeResult = { outcome: "OUTCOME_OK", output: "45\n" };

/** Whether the model is an image model (`…-image`, `…-image-preview`). */
export function isImageModel(model: string): boolean {
  return /-image(?:-|$)/.test(stripModelsPrefix(model));
}

/** Whether the model is a TTS model (`…-tts`). */
export function isTtsModel(model: string): boolean {
  return /-tts(?:-|$)/.test(stripModelsPrefix(model));
}

/** `generationConfig.responseModalities`, upper-cased ([] when absent). */
export function responseModalitiesOf(body: unknown): string[] {
  const config = generationConfigOf(body);
  const modalities = config.responseModalities ?? config.response_modalities;
  return Array.isArray(modalities) ? modalities.map((modality) => String(modality).toUpperCase()) : [];
}

/** Whether the request offers the code execution tool. */
function offersCodeExecution(body: unknown): boolean {
  if (!isRecord(body) || !Array.isArray(body.tools)) return false;
  return body.tools.some((tool) => isRecord(tool) && (tool.codeExecution !== undefined || tool.code_execution !== undefined));
}

/**
 * The answer kind for a request. A continuation (a trailing model turn) of a code execution
 * answer goes on in text, as the model would.
 */
export function outputKindOf(model: string, body: unknown): OutputKind {
  if (isTtsModel(model)) return "audio";
  if (isImageModel(model)) {
    const modalities = responseModalitiesOf(body);
    return modalities.includes("IMAGE") && !modalities.includes("TEXT") ? "image-only" : "image";
  }
  if (offersCodeExecution(body) && !trailingModelText(body)) return "code";
  return "text";
}

/** A non-text part placed at a text offset of the answer. */
export interface PlacedPart {
  /** Visible characters of the answer before it. */
  offset: number;
  part: Record<string, unknown>;
  /** Output tokens it is billed as. */
  tokens: number;
}

/** The visible text and the non-text parts of an answer of `kind` whose text would be `answer`. */
export function layoutOf(kind: OutputKind, answer: string): { text: string; parts: PlacedPart[] } {
  switch (kind) {
    case "image":
      return { text: answer, parts: [{ offset: Array.from(answer).length, part: { inlineData: { mimeType: "image/png", data: samplePng() } }, tokens: imageTokens }] };
    case "image-only":
      return { text: "", parts: [{ offset: 0, part: { inlineData: { mimeType: "image/png", data: samplePng() } }, tokens: imageTokens }] };
    case "audio":
      return { text: "", parts: [0, 1, 2].map((index) => ({ offset: 0, part: { inlineData: { mimeType: ttsMimeType, data: samplePcm(index) } }, tokens: 13 })) };
    case "code": {
      const offset = Array.from(codeIntro).length;
      return {
        text: codeIntro + answer,
        parts: [
          { offset, part: { executableCode: sampleCode }, tokens: 12 },
          { offset, part: { codeExecutionResult: sampleCodeResult }, tokens: 3 },
        ],
      };
    }
    default:
      return { text: answer, parts: [] };
  }
}

let png: string | null = null;

/**
 * A real PNG (256×256 RGB, deterministic noise, stored uncompressed so it is about 260 kB of
 * base64, as large as Gemini's images are big): big enough to span many network reads.
 */
export function samplePng(): string {
  if (png !== null) return png;
  const size = 256;
  const raw = Buffer.alloc((size * 3 + 1) * size);
  let seed = 7;
  for (let index = 0; index < raw.length; index++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    raw[index] = index % (size * 3 + 1) === 0 ? 0 : seed >>> 24;
  }
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const file = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw, { level: 0 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
  png = file.toString("base64");
  return png;
}

/** Half a second of a 440 Hz tone as 16-bit little-endian PCM at 24 kHz, the `index`-th piece of the answer. */
export function samplePcm(index: number): string {
  const rate = 24_000;
  const samples = rate / 2;
  const pcm = Buffer.alloc(samples * 2);
  for (let sample = 0; sample < samples; sample++) {
    const time = (index * samples + sample) / rate;
    pcm.writeInt16LE(Math.round(Math.sin(2 * Math.PI * 440 * time) * 8000), sample * 2);
  }
  return pcm.toString("base64");
}
