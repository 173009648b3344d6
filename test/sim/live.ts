/**
 * The Live API (`BidiGenerateContent` over a WebSocket), as Google serves it: the upgrade is
 * accepted whatever the key, and refusals come as a close after the first message, with
 * Google's close codes and reasons (1007 for an invalid key or a refused location, 1008 for an
 * unregistered caller, a suspended key or an unknown model, 1011 for quota and overload). Then
 * `setup` → `setupComplete`, `clientContent` turns → `serverContent` model turns ending with
 * `turnComplete`, a declared tool → `toolCall` → the client's `toolResponse` → the answer,
 * `realtimeInput` accepted (text answered), `goAway` on demand. Every server message is a
 * binary frame holding JSON, as Google's are.
 * https://ai.google.dev/api/live
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { randomBytes } from "node:crypto";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { splitText } from "./generation.ts";
import type { KeyRegistry, KeyVerdict } from "./keys.ts";
import { findModel, isGenerative, stripModelsPrefix } from "./models.ts";
import { splitHop } from "./request.ts";

const livePath = /^\/\/?ws\/google\.ai\.generativelanguage\.(v1beta|v1alpha|v1)\.GenerativeService\.(BidiGenerateContent|BidiGenerateContentConstrained)$/;

/** One Live session as the simulator saw it. */
export interface LiveSession {
  /** The key from `?key=` or `x-goog-api-key`; null with an ephemeral token or none. */
  key: string | null;
  /** The ephemeral token from `?access_token=` (BidiGenerateContentConstrained). */
  accessToken: string | null;
  hop: string | null;
  path: string;
  /** Request headers of the upgrade, names lower-cased. */
  headers: Record<string, string>;
  /** The setup's model without `models/`, once a setup arrived. */
  model: string | null;
  /** Every client message, parsed. */
  received: unknown[];
  /** Every server message sent, parsed. */
  sent: unknown[];
  /** How the session closed, once it did (`by` says which side closed it). */
  closed?: { code: number; reason: string; by: "server" | "client" };
  /** The HTTP status the upgrade was answered with instead (`refuseUpgrade`); the socket never opened. */
  refusedUpgrade?: number;
}

/** What the simulator hands to the Live endpoint. */
export interface LiveDependencies {
  keys: KeyRegistry;
  /** Characters of answer text per model-turn message (the simulator's current `chunkChars`). */
  chunkChars: () => number;
  /** Ephemeral token name → the key that created it. */
  tokens: Map<string, string>;
}

/** Close reasons Google gives, by cause. */
const reasons = {
  invalidKey: "API key not valid. Please pass a valid API key.",
  unregistered: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  quota: "You exceeded your current quota, please check your plan and billing details.",
  location: "User location is not supported for the API use.",
  overload: "The service is currently unavailable.",
  badToken: "Invalid or expired ephemeral token.",
} as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The close code and reason for a refused key, or null when the key may go on. */
function refusalClose(verdict: KeyVerdict, key: string): { code: number; reason: string } | null {
  switch (verdict.kind) {
    case "ok":
      return null;
    case "missing":
      return { code: 1008, reason: reasons.unregistered };
    case "unknown":
      return { code: 1007, reason: reasons.invalidKey };
    case "refused":
      switch (verdict.behaviour) {
        case "invalid":
          return { code: 1007, reason: reasons.invalidKey };
        case "suspended":
          // As Google words it, the key included.
          return { code: 1008, reason: `Permission denied: Consumer 'api_key:${key}' has been suspended.` };
        case "location":
          return { code: 1007, reason: reasons.location };
        case "overload":
          return { code: 1011, reason: reasons.overload };
        default:
          return { code: 1011, reason: reasons.quota };
      }
  }
}

/** The Live endpoint of one simulator. */
export class LiveEndpoint {
  /** Every Live session, in arrival order. */
  readonly sessions: LiveSession[] = [];
  readonly #server = new WebSocketServer({ noServer: true });
  readonly #open = new Set<{ socket: WebSocket; session: LiveSession }>();
  /** key → HTTP status: the next upgrade with that key is answered so instead of accepted. */
  readonly #refusedUpgrades = new Map<string, number>();

  constructor(private readonly dependencies: LiveDependencies) {}

  /** Answers the next upgrade carrying `key` with HTTP `status` (a refusal before the socket opens). */
  refuseUpgrade(key: string, status: number): void {
    this.#refusedUpgrades.set(key, status);
  }

  /** Sends `goAway` with `timeLeft` to every open session. */
  goAway(timeLeft = "10s"): void {
    for (const { socket, session } of this.#open) send(socket, session, { goAway: { timeLeft } });
  }

  /** Closes every open session from the server side with `code` and `reason`. */
  closeAll(code: number, reason: string): void {
    for (const { socket, session } of this.#open) closeWith(socket, session, code, reason);
  }

  /** Forgets sessions and pending refusals. */
  reset(): void {
    this.sessions.length = 0;
    this.#refusedUpgrades.clear();
  }

  /** Handles an HTTP upgrade; paths other than the Live ones get Google's 404. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? "/", "http://simulator.invalid");
    const split = splitHop(url.pathname);
    const match = livePath.exec(split.path);
    const headerKey = typeof request.headers["x-goog-api-key"] === "string" ? request.headers["x-goog-api-key"] : null;
    const key = url.searchParams.get("key") ?? headerKey;
    const refused = key === null ? undefined : this.#refusedUpgrades.get(key);
    if (!match || refused !== undefined) {
      if (key !== null) this.#refusedUpgrades.delete(key);
      const status = refused ?? 404;
      if (refused !== undefined) this.sessions.push({ key, accessToken: null, hop: split.hop, path: split.path, headers: {}, model: null, received: [], sent: [], refusedUpgrade: status });
      const body = JSON.stringify({ error: { code: status, message: status === 404 ? "Not Found" : "Refused by the simulator.", status: status === 429 ? "RESOURCE_EXHAUSTED" : "UNAVAILABLE" } });
      socket.end(`HTTP/1.1 ${status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) if (typeof value === "string") headers[name] = value;
    const session: LiveSession = {
      key,
      accessToken: url.searchParams.get("access_token"),
      hop: split.hop,
      path: split.path,
      headers,
      model: null,
      received: [],
      sent: [],
    };
    this.sessions.push(session);
    this.#server.handleUpgrade(request, socket, head, (webSocket) => this.#serve(webSocket, session, match[2] === "BidiGenerateContentConstrained"));
  }

  #serve(socket: WebSocket, session: LiveSession, constrained: boolean): void {
    const entry = { socket, session };
    this.#open.add(entry);
    let tools: string[] = [];
    /** Tokens of the session's context so far: every turn's prompt counts all of it again. */
    const context = { tokens: 0 };
    /** The tool call waiting for its response: its id and the user's text. */
    let pendingCall: { id: string; name: string; text: string } | null = null;
    socket.on("close", (code, reason) => {
      this.#open.delete(entry);
      session.closed ??= { code, reason: reason.toString("utf8"), by: "client" };
    });
    socket.on("message", (data: RawData) => {
      const text = Buffer.isBuffer(data) ? data.toString("utf8") : Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data).toString("utf8");
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        return closeWith(socket, session, 1007, "Invalid JSON payload received.");
      }
      session.received.push(message);
      if (!isRecord(message)) return closeWith(socket, session, 1007, "Invalid JSON payload received.");
      if (session.model === null) {
        const setup = message.setup;
        if (!isRecord(setup) || typeof setup.model !== "string") return closeWith(socket, session, 1007, "Request contains an invalid argument.");
        const model = stripModelsPrefix(setup.model);
        const refusal = this.#authorize(session, model, constrained);
        if (refusal) return closeWith(socket, session, refusal.code, refusal.reason);
        const known = findModel(model);
        if (!known || !isGenerative(known)) {
          return closeWith(socket, session, 1008, `models/${model} is not found for API version v1beta, or is not supported for bidiGenerateContent.`);
        }
        session.model = model;
        tools = declaredTools(setup.tools);
        return send(socket, session, { setupComplete: {} });
      }
      const userText = turnText(message);
      if (userText !== null) {
        const tool = tools[0];
        if (tool !== undefined) {
          pendingCall = { id: `call-${randomBytes(4).toString("hex")}`, name: tool, text: userText };
          return send(socket, session, { toolCall: { functionCalls: [{ id: pendingCall.id, name: tool, args: { query: userText } }] } });
        }
        return this.#answer(socket, session, userText, `Echo: ${userText}`, context);
      }
      const toolResponse = message.toolResponse;
      if (isRecord(toolResponse) && Array.isArray(toolResponse.functionResponses)) {
        const answered = toolResponse.functionResponses.find((item): item is Record<string, unknown> => isRecord(item) && item.id === pendingCall?.id);
        if (!answered || !pendingCall) return closeWith(socket, session, 1007, "Request contains an invalid argument.");
        const call = pendingCall;
        pendingCall = null;
        return this.#answer(socket, session, JSON.stringify(answered.response ?? null), `Tool ${call.name} answered ${JSON.stringify(answered.response ?? null)}`, context);
      }
      // realtimeInput media and anything else: accepted, nothing to answer yet.
    });
  }

  /** Key (or ephemeral token) checks, in Google's order: identity, then quota for the model. */
  #authorize(session: LiveSession, model: string, constrained: boolean): { code: number; reason: string } | null {
    const { keys, tokens } = this.dependencies;
    if (constrained) {
      const owner = session.accessToken === null ? undefined : tokens.get(session.accessToken);
      if (owner === undefined) return { code: 1008, reason: reasons.badToken };
      return refusalClose(keys.authenticate(owner, model, session.hop), owner) ?? refusalClose(keys.admit(owner, model, session.hop), owner);
    }
    const key = session.key ?? "";
    return refusalClose(keys.authenticate(session.key, model, session.hop), key) ?? refusalClose(keys.admit(key, model, session.hop), key);
  }

  /**
   * A model turn in chunks, then turnComplete, with usage as Google reports it on Live: per turn,
   * not per session (the turn's prompt counts the whole context so far, so it grows turn by
   * turn), and repeated as a running count on the turn's messages; the last one of the turn holds
   * its final numbers. Tokens are a quarter of the characters, rounded up, as in generation.ts.
   */
  #answer(socket: WebSocket, session: LiveSession, input: string, text: string, context: { tokens: number }): void {
    const tokens = (value: string) => Math.ceil(value.length / 4);
    context.tokens += tokens(input);
    const prompt = context.tokens;
    const usage = (response: number) => ({
      promptTokenCount: prompt,
      responseTokenCount: response,
      totalTokenCount: prompt + response,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: prompt }],
      responseTokensDetails: [{ modality: "TEXT", tokenCount: response }],
    });
    let sent = "";
    for (const piece of splitText(text, this.dependencies.chunkChars())) {
      sent += piece;
      send(socket, session, { serverContent: { modelTurn: { parts: [{ text: piece }] } }, usageMetadata: usage(tokens(sent)) });
    }
    send(socket, session, { serverContent: { turnComplete: true }, usageMetadata: usage(tokens(text)) });
    context.tokens += tokens(text);
  }
}

/** Function names declared in a setup's tools. */
function declaredTools(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((tool) => (isRecord(tool) && Array.isArray(tool.functionDeclarations) ? tool.functionDeclarations : [])).flatMap((declaration) => (isRecord(declaration) && typeof declaration.name === "string" ? [declaration.name] : []));
}

/** The user text of a completed clientContent turn or a realtimeInput text, or null. */
function turnText(message: Record<string, unknown>): string | null {
  const content = message.clientContent;
  if (isRecord(content) && Array.isArray(content.turns) && content.turnComplete !== false) {
    const texts = content.turns.flatMap((turn) => (isRecord(turn) && Array.isArray(turn.parts) ? turn.parts : [])).flatMap((part) => (isRecord(part) && typeof part.text === "string" ? [part.text] : []));
    return texts.at(-1) ?? "";
  }
  const realtime = message.realtimeInput;
  if (isRecord(realtime) && typeof realtime.text === "string") return realtime.text;
  return null;
}

function send(socket: WebSocket, session: LiveSession, message: unknown): void {
  session.sent.push(message);
  socket.send(Buffer.from(JSON.stringify(message)), { binary: true });
}

function closeWith(socket: WebSocket, session: LiveSession, code: number, reason: string): void {
  session.closed ??= { code, reason, by: "server" };
  socket.close(code, reason.slice(0, 123));
}
