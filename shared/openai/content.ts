/**
 * OpenAI message content → Gemini parts: text, images (data URLs, or allow-listed remote URLs),
 * audio and files as `inlineData`. Remote images are only checked and collected here; they are
 * fetched once the whole request is mapped (remote-image.ts), when the room they may take is known.
 */
import type { Part } from "../gemini/types.ts";
import { bytesToBase64 } from "./base64.ts";
import { OpenAiRequestError } from "./errors.ts";
import { checkRemoteImageUrl, type RemoteImage } from "./remote-image.ts";
import type { ContentPart } from "./schema.ts";

/** What converting media needs besides the content itself. */
export interface MediaOptions {
  /** Hosts remote images may come from (OPENAI_IMAGE_URL_ALLOWLIST). */
  imageHosts: readonly string[];
  /** Receives the remote images found, in order, each with the part to fill once fetched. */
  remoteImages: RemoteImage[];
}

/** A `data:` URL as inline data (base64 as Gemini wants it), or null when `url` is not one. */
export function inlineDataFromDataUrl(url: string, param: string): { mimeType: string; data: string } | null {
  if (!url.startsWith("data:")) return null;
  const comma = url.indexOf(",");
  if (comma < 0) throw new OpenAiRequestError(`'${param}' is not a valid data URL (no comma before the data).`, param, "invalid_data_url");
  const [mimeType = "", ...parameters] = url.slice(5, comma).split(";");
  const payload = url.slice(comma + 1);
  if (mimeType.trim() === "") throw new OpenAiRequestError(`'${param}' is a data URL without a media type (expected e.g. data:image/png;base64,…).`, param, "invalid_data_url");
  if (parameters.includes("base64")) {
    const data = payload.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(data) || data.length === 0) throw new OpenAiRequestError(`'${param}' does not hold valid base64 data.`, param, "invalid_data_url");
    return { mimeType: mimeType.trim().toLowerCase(), data };
  }
  let text: string;
  try {
    text = decodeURIComponent(payload);
  } catch {
    throw new OpenAiRequestError(`'${param}' is not a valid percent-encoded data URL.`, param, "invalid_data_url");
  }
  return { mimeType: mimeType.trim().toLowerCase(), data: bytesToBase64(new TextEncoder().encode(text)) };
}

/** One content part as a Gemini part. */
function toPart(part: ContentPart, param: string, options: MediaOptions): Part {
  switch (part.type) {
    case "text":
      return { text: part.text };
    case "refusal":
      return { text: part.refusal };
    case "image_url": {
      const url = typeof part.image_url === "string" ? part.image_url : part.image_url.url;
      const urlParam = `${param}.image_url${typeof part.image_url === "string" ? "" : ".url"}`;
      const inline = inlineDataFromDataUrl(url, urlParam);
      if (inline) return { inlineData: inline };
      const pending = { inlineData: { mimeType: "", data: "" } };
      options.remoteImages.push({ url: checkRemoteImageUrl(url, options.imageHosts, urlParam), param: urlParam, part: pending });
      return pending;
    }
    case "input_audio": {
      const format = part.input_audio.format.toLowerCase();
      if (!/^[a-z0-9]+$/.test(format)) throw new OpenAiRequestError(`'${param}.input_audio.format' must be an audio format such as wav or mp3.`, `${param}.input_audio.format`, "invalid_value");
      return { inlineData: { mimeType: `audio/${format}`, data: part.input_audio.data } };
    }
    case "file": {
      if (!part.file.file_data) {
        // A file uploaded through gemrelay's Gemini files API: its name or URI, sent as fileData so
        // that the request goes out with the key that holds the file (resources/affinity.ts).
        const fileUri = part.file.file_id ? geminiFileUri(part.file.file_id) : null;
        if (fileUri !== null) return { fileData: { fileUri } };
        throw new OpenAiRequestError(
          `'${param}.file' needs file_data (a data: URL) or a file_id naming a Gemini file (files/… or its uri), uploaded through gemrelay's /v1beta/files.`,
          `${param}.file.${part.file.file_id ? "file_id" : "file_data"}`,
          "unsupported_value",
        );
      }
      const inline = inlineDataFromDataUrl(part.file.file_data, `${param}.file.file_data`);
      if (!inline) throw new OpenAiRequestError(`'${param}.file.file_data' must be a data: URL.`, `${param}.file.file_data`, "invalid_data_url");
      return { inlineData: inline };
    }
  }
}

/** A message's content as Gemini parts (`param` names the content field, for errors). */
export function partsOfContent(content: string | readonly ContentPart[] | null | undefined, param: string, options: MediaOptions): Part[] {
  if (content === null || content === undefined) return [];
  if (typeof content === "string") return content.length > 0 ? [{ text: content }] : [];
  const parts: Part[] = [];
  for (const [index, part] of content.entries()) parts.push(toPart(part, `${param}[${index}]`, options));
  return parts;
}

/** The text of content that may only be text (system, developer and tool messages). */
export function textOfContent(content: string | readonly ContentPart[] | null | undefined, param: string): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  return content
    .map((part, index) => {
      if (part.type === "text") return part.text;
      if (part.type === "refusal") return part.refusal;
      throw new OpenAiRequestError(`'${param}[${index}]' must be a text part here; ${part.type} parts are accepted only in user messages.`, `${param}[${index}].type`, "invalid_value");
    })
    .join("");
}

/** Where Gemini's files live; a file's `uri` is this plus its name, whichever egress uploaded it. */
const geminiFilesBase = "https://generativelanguage.googleapis.com/v1beta/";

/** The Gemini file URI a `file_id` names (`files/abc` or a URI ending in `/files/abc`), or null. */
export function geminiFileUri(fileId: string): string | null {
  if (/^files\/[a-z0-9-]{1,64}$/.test(fileId)) return geminiFilesBase + fileId;
  return /^https?:\/\/[^\s/]+\/(?:[\w.-]+\/)*files\/[a-z0-9-]{1,64}$/.test(fileId) ? fileId : null;
}
