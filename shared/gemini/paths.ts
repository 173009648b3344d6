/** Recognising Gemini native paths, possibly behind a path prefix (GPT-Load keeps its upstream's path). */

/** A parsed Gemini native request path. */
export interface GeminiPath {
  /** Whatever stood before the version segment, e.g. `/proxy/gemini` (empty when none). */
  prefix: string;
  /** The path from the version segment on, e.g. `/v1beta/models/gemini-2.5-flash:generateContent`. */
  path: string;
  /** `v1beta`, `v1`, `v1alpha` or `upload`. */
  version: string;
  /** The model named in the path (`models/{model}` or `tunedModels/{model}`), without the action. */
  model: string | null;
  /** The method after the colon, e.g. `streamGenerateContent`; null for plain resources. */
  action: string | null;
}

/** Gemini's model ids: letters, digits, `.`, `_` and `-` (`gemini-2.5-flash`, a tuned model's id), never dots alone. */
const modelNamePattern = /^(?!\.+$)[\w.-]+$/;

/**
 * Why `name` cannot be a model id, or null when it can. A name that is not one could change the
 * upstream path it is put into (`..`, a decoded `/`) or carry control characters into log lines.
 */
export function modelNameProblem(name: string): string | null {
  if (modelNamePattern.test(name)) return null;
  // JSON quoting shows control characters escaped, so the message stays one line.
  return `Invalid model name ${JSON.stringify(name.slice(0, 100))}: Gemini model ids are made of letters, digits, '.', '_' and '-'.`;
}

/** A percent-decoded path segment; the segment as it is when its encoding is malformed. */
export function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const versionPattern = /^(.*?)(\/(v1beta|v1alpha|v1|upload)(?:\/.*)?)$/;
const modelPattern = /\/(?:tuned)?[mM]odels\/([^/:]+)(?::([A-Za-z]+))?$/;

/** Parses a URL pathname; null when it is not a Gemini API path. */
export function parseGeminiPath(pathname: string): GeminiPath | null {
  const match = versionPattern.exec(pathname);
  if (!match) return null;
  const [, prefix = "", path = "", version = ""] = match;
  const model = modelPattern.exec(path);
  return {
    prefix,
    path,
    version,
    model: model?.[1] ? decodedSegment(model[1]) : null,
    action: model?.[2] ?? null,
  };
}
