/**
 * Reading an incoming request: the optional `/hop/<id>` prefix, the Gemini route, the key
 * (x-goog-api-key, ?key=, Authorization: Bearer) and the body.
 */
import type { IncomingMessage } from "node:http";
import { stripModelsPrefix } from "./models.ts";
import type { Action, RecordedRequest } from "./types.ts";

/** Gemini methods the simulator answers, by the name after the colon. */
const methodActions: Readonly<Record<string, Action>> = {
  generateContent: "generateContent",
  streamGenerateContent: "streamGenerateContent",
  countTokens: "countTokens",
  embedContent: "embedContent",
  batchEmbedContents: "batchEmbedContents",
};

/** The route of a path (already stripped of the hop prefix). */
export interface Route {
  apiVersion: string | null;
  model: string | null;
  action: Action;
}

/** Splits `/hop/<id>/rest` into the hop id and the rest. */
export function splitHop(path: string): { hop: string | null; path: string } {
  const match = /^\/hop\/([^/]+)(\/.*)?$/.exec(path);
  if (!match) return { hop: null, path };
  return { hop: safeDecode(match[1] ?? ""), path: match[2] ?? "/" };
}

/** Maps a path to a Gemini action. */
export function route(method: string, path: string): Route {
  if (path.startsWith("/v1beta/openai/")) return { apiVersion: "v1beta", model: null, action: "openai" };
  const match = /^\/(v1beta|v1|v1alpha)\/models(?:\/([^/:]+)(?::([A-Za-z]+))?)?\/?$/.exec(path);
  if (!match) return { apiVersion: null, model: null, action: "other" };
  const apiVersion = match[1] ?? null;
  const model = match[2] === undefined ? null : stripModelsPrefix(match[2]);
  const verb = match[3];
  if (model === null) return { apiVersion, model, action: method === "GET" ? "models.list" : "other" };
  if (verb === undefined) return { apiVersion, model, action: method === "GET" ? "models.get" : "other" };
  const action = methodActions[verb];
  return { apiVersion, model, action: action !== undefined && method === "POST" ? action : "other" };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Reads the whole body as UTF-8 text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** Parses a JSON body; `undefined` means "not JSON", null means "no body". */
export function parseJsonBody(raw: string): unknown {
  if (raw.trim() === "") return null;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/** Lower-cased headers with repeated values joined. */
function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** The key of a request, and whether it was in the URL. */
function keyOf(headers: Record<string, string>, query: Record<string, string>): { key: string | null; keyInUrl: boolean } {
  const keyInUrl = query.key !== undefined;
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? "")?.[1]?.trim();
  const key = headers["x-goog-api-key"] || query.key || bearer || null;
  return { key, keyInUrl };
}

/** Builds the record of a request whose body has been read. */
export function recordRequest(req: IncomingMessage, rawBody: string, id: number, at: number): RecordedRequest {
  const url = new URL(req.url ?? "/", "http://simulator.invalid");
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  const split = splitHop(url.pathname);
  const path = safeDecode(split.path);
  const method = req.method ?? "GET";
  const headers = flatHeaders(req);
  const parsed = parseJsonBody(rawBody);
  const { apiVersion, model: pathModel, action } = route(method, path);
  // Gemini's OpenAI-compatible endpoint names the model in the body.
  const bodyModel = action === "openai" && parsed !== null && typeof parsed === "object" && "model" in parsed ? parsed.model : null;
  const model = typeof bodyModel === "string" ? stripModelsPrefix(bodyModel) : pathModel;
  return {
    id,
    method,
    path,
    query,
    hop: split.hop,
    ...keyOf(headers, query),
    headers,
    body: parsed === undefined ? null : parsed,
    rawBody,
    model,
    apiVersion,
    action,
    at,
  };
}
