/**
 * GeminiSimulator: a loopback HTTP server speaking the Gemini API wire format, with fake keys,
 * per-key and per-hop behaviours and on-demand faults. Used by unit tests, the end-to-end relay
 * chain, the benchmark and the chaos suite.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { defaultThoughts, echoAnswer } from "./answers.ts";
import { handleControl, type SimulatorControl } from "./control.ts";
import { answerBatchEmbedContents, answerCountTokens, answerEmbedContent } from "./embeddings.ts";
import {
  apiKeyInvalidError,
  behaviourError,
  defaultErrorForStatus,
  htmlNotFound,
  internalError,
  invalidJsonError,
  modelNotFoundError,
  unregisteredCallerError,
  type HttpAnswer,
} from "./errors.ts";
import { FaultQueue } from "./faults.ts";
import { EventGate } from "./gate.ts";
import { answerOpenAiCompat, compatError } from "./openai-compat.ts";
import { answerGenerate, validateGenerateRequest } from "./generate.ts";
import { KeyRegistry, randomKey, type KeyVerdict } from "./keys.ts";
import { LiveEndpoint, type LiveSession } from "./live.ts";
import { findModel, isGenerative, listModelsPage, modelResource, type SimulatedModel } from "./models.ts";
import { parseJsonBody, readBody, recordRequest } from "./request.ts";
import { isResourcePath, ResourceRegistry } from "./resources.ts";
import {
  quotaActions,
  type Action,
  type AnswerFunction,
  type BehaviourScope,
  type Fault,
  type FaultMatch,
  type KeyBehaviour,
  type KeyLimits,
  type KeyUsage,
  type RecordedRequest,
  type SimulatorOptions,
} from "./types.ts";
import { sendAnswer, sleep, untilAborted } from "./wire.ts";

const defaultChunkChars = 24;

/** A running Gemini API simulator on loopback. Create with {@link GeminiSimulator.start}; always {@link GeminiSimulator.close}. */
export class GeminiSimulator implements SimulatorControl {
  /** Base URL, `http://127.0.0.1:PORT` — use it where `https://generativelanguage.googleapis.com` would go. */
  readonly url: string;
  /** Every Gemini request received (control requests excluded), in arrival order; `reset()` empties it in place. */
  readonly requests: RecordedRequest[] = [];
  /** Characters of answer text per stream event. */
  chunkChars: number;
  /** Milliseconds between stream events (a fault's `intervalMs` overrides it for one request). */
  intervalMs: number;

  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #closing = new AbortController();
  readonly #now: () => number;
  readonly #keys: KeyRegistry;
  readonly #faults = new FaultQueue();
  /** Files, cached contents, batches and operations, each owned by the key (project) that created it. */
  readonly resources: ResourceRegistry;
  #answer: AnswerFunction = echoAnswer;
  #thoughts: AnswerFunction = defaultThoughts;
  #sequence = 0;
  #closed: Promise<void> | null = null;
  #gate: EventGate | null = null;
  readonly #arrivalListeners = new Set<(request: RecordedRequest) => void>();
  /** Ephemeral tokens (`POST /v1alpha/auth_tokens`): token name → the key that created it. */
  readonly #tokens = new Map<string, string>();
  readonly #live: LiveEndpoint;

  private constructor(server: Server, url: string, options: SimulatorOptions) {
    this.#server = server;
    this.url = url;
    this.chunkChars = Math.max(1, options.chunkChars ?? defaultChunkChars);
    this.intervalMs = Math.max(0, options.intervalMs ?? 0);
    this.#now = options.now ?? Date.now;
    this.#keys = new KeyRegistry(this.#now);
    this.#live = new LiveEndpoint({ keys: this.#keys, chunkChars: () => this.chunkChars, tokens: this.#tokens });
    this.resources = new ResourceRegistry(this.#now, url);
  }

  /** Starts a simulator on 127.0.0.1 (port 0 = any free port). */
  static async start(options: SimulatorOptions = {}): Promise<GeminiSimulator> {
    const server = createServer({ noDelay: true, keepAliveTimeout: 5_000 });
    const host = options.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const simulator = new GeminiSimulator(server, `http://${host.includes(":") ? `[${host}]` : host}:${port}`, options);
    simulator.#attach();
    return simulator;
  }

  #attach(): void {
    this.#server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    });
    this.#server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => this.#live.handleUpgrade(req, socket, head));
    this.#server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      this.#serve(req, res).catch(() => {
        if (!res.headersSent) sendAnswer(res, null, internalError());
        else res.destroy();
      });
    });
  }

  /** The port the simulator listens on. */
  get port(): number {
    return Number(new URL(this.url).port);
  }

  /** An upstream base URL under a hop prefix (`${url}/hop/${hop}`); requests through it are recorded with `hop`. */
  hopUrl(hop: string): string {
    return `${this.url}/hop/${encodeURIComponent(hop)}`;
  }

  /** Registers a new random key ("AIzaSim" + 32 random [A-Za-z0-9_-], 39 characters). */
  createKey(behaviour: KeyBehaviour = "ok"): string {
    return this.#keys.create(behaviour);
  }

  /** Registers `count` new keys with the same behaviour. */
  createKeys(count: number, behaviour: KeyBehaviour = "ok"): string[] {
    return Array.from({ length: count }, () => this.createKey(behaviour));
  }

  /**
   * Sets how `key` behaves (registering it if unknown). Without `model`/`hop` it applies to every
   * request and replaces the key's earlier rules; with them it adds a narrower rule (the most
   * specific matching rule wins: hop over model over none).
   */
  setKeyBehaviour(key: string, behaviour: KeyBehaviour, options: BehaviourScope = {}): void {
    this.#keys.set(key, behaviour, options);
  }

  /** Makes every request through `hop` behave so, whatever its key — e.g. `location` for an egress in a refused region. `ok` clears. */
  setHopBehaviour(hop: string, behaviour: KeyBehaviour, options: Omit<BehaviourScope, "hop"> = {}): void {
    this.#keys.setHop(hop, behaviour, options);
  }

  /** Enforces per-model request limits on a key: beyond them it answers 429 (rate-limit-minute / quota-day bodies). */
  setKeyLimits(key: string, limits: KeyLimits): void {
    this.#keys.setLimits(key, limits);
  }

  /** Queues a fault for the next request matching `match` (default: the generate actions); FIFO, consumed once or `times` times. */
  enqueue(fault: Fault, match: FaultMatch = {}): void {
    this.#faults.enqueue(fault, match);
  }

  /** Faults still queued. */
  get pendingFaults(): number {
    return this.#faults.size;
  }

  /** Sets the text the model answers (null restores the default `Echo: ${lastUserText}`). */
  setAnswer(fn: AnswerFunction | null): void {
    this.#answer = fn ?? echoAnswer;
  }

  /** Sets the thought text of thinking models (null restores the default). */
  setThoughts(fn: AnswerFunction | null): void {
    this.#thoughts = fn ?? defaultThoughts;
  }

  /** Quota-consuming requests per key in the last `windowMs` (default 60 s), optionally for one model. */
  countsPerKey(options: { windowMs?: number; model?: string } = {}): Record<string, number> {
    return this.#keys.counts(options.windowMs, options.model);
  }

  /** Totals, last-minute and peak-per-minute request counts of one key. */
  keyUsage(key: string): KeyUsage {
    return this.#keys.usage(key);
  }

  /**
   * The first recorded request matching `predicate` (any request when omitted) — one already
   * received, or the next to arrive. Rejects after `timeoutMs` (default 5 s) or on close.
   */
  waitForRequest(predicate: (request: RecordedRequest) => boolean = () => true, timeoutMs = 5_000): Promise<RecordedRequest> {
    const existing = this.requests.find(predicate);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const stop = (): void => {
        clearTimeout(timer);
        this.#arrivalListeners.delete(listener);
        this.#closing.signal.removeEventListener("abort", onClose);
      };
      const listener = (request: RecordedRequest): void => {
        if (!predicate(request)) return;
        stop();
        resolve(request);
      };
      const onClose = (): void => {
        stop();
        reject(new Error("The simulator closed while waiting for a request"));
      };
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`No matching request reached the simulator within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#arrivalListeners.add(listener);
      this.#closing.signal.addEventListener("abort", onClose, { once: true });
    });
  }

  /** Live API sessions (WebSocket `BidiGenerateContent`), in arrival order; `reset()` empties it. */
  get liveSessions(): readonly LiveSession[] {
    return this.#live.sessions;
  }

  /** Answers the next Live upgrade carrying `key` with HTTP `status` instead of opening the socket. */
  refuseLiveUpgrade(key: string, status: number): void {
    this.#live.refuseUpgrade(key, status);
  }

  /** Sends a Live `goAway` (with `timeLeft`) to every open Live session. */
  liveGoAway(timeLeft = "10s"): void {
    this.#live.goAway(timeLeft);
  }

  /** Closes every open Live session from Google's side with `code` and `reason`. */
  closeLiveSessions(code: number, reason: string): void {
    this.#live.closeAll(code, reason);
  }

  /** Ephemeral tokens created so far: token name → the key that created it. */
  get authTokens(): ReadonlyMap<string, string> {
    return this.#tokens;
  }

  /** Forgets requests, faults, counts, hop behaviours, the answer and thought functions and a pending event gate; keeps keys unless `keys: true`. */
  reset(options: { keys?: boolean } = {}): void {
    this.requests.length = 0;
    this.#live.reset();
    this.resources.reset();
    this.#faults.clear();
    this.#answer = echoAnswer;
    this.#thoughts = defaultThoughts;
    this.#keys.reset(options.keys === true);
    this.#gate = null;
  }

  /** Stops listening, ends stalled and paced streams and destroys every open socket. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#closing.abort();
      this.#server.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? "/", this.url);
    if (url.pathname.startsWith("/__sim/")) {
      handleControl(this, req.method ?? "GET", url, raw, res);
      return;
    }
    const recorded = recordRequest(req, raw, ++this.#sequence, this.#now());
    this.requests.push(recorded);
    for (const listener of this.#arrivalListeners) listener(recorded);
    const closed = new AbortController();
    res.once("close", () => closed.abort());
    await this.#respond(recorded, res, AbortSignal.any([this.#closing.signal, closed.signal]));
  }

  /** Routing, key checks and model checks, in the order Google applies them. */
  async #respond(recorded: RecordedRequest, res: ServerResponse, signal: AbortSignal): Promise<void> {
    if (recorded.method === "POST" && /^\/v1alpha\/auth_tokens\/?$/.test(recorded.path)) return this.#createAuthToken(recorded, res);
    if (isResourcePath(recorded.path)) {
      const refusal = this.#refusal(recorded, this.#keys.authenticate(recorded.key, null, recorded.hop));
      const fault = refusal ? null : this.#takeFault(recorded, null);
      if (!(await this.#preamble(recorded, res, signal, fault, ""))) return;
      return sendAnswer(res, recorded, refusal ?? this.resources.answer(recorded));
    }
    if (recorded.action === "other") return sendAnswer(res, recorded, htmlNotFound(recorded.path));
    const refusal = this.#refusal(recorded, this.#keys.authenticate(recorded.key, recorded.model, recorded.hop));
    if (recorded.action === "openai") return this.#respondOpenAiCompat(recorded, res, signal, refusal);
    if (refusal) return sendAnswer(res, recorded, refusal);
    const model = recorded.model === null ? undefined : findModel(recorded.model);
    if (recorded.action === "models.list" || recorded.action === "models.get") return this.#respondModels(recorded, res, signal, model);
    if (!model || !supports(model, recorded.action)) {
      return sendAnswer(res, recorded, modelNotFoundError(recorded.model ?? "", recorded.apiVersion ?? "v1beta", recorded.action));
    }
    return this.#respondModelAction(recorded, res, signal, model);
  }

  /** `authTokens.create`: an ephemeral token for the Live API, bound to the key that made it. */
  #createAuthToken(recorded: RecordedRequest, res: ServerResponse): void {
    const refusal = this.#refusal(recorded, this.#keys.authenticate(recorded.key, null, recorded.hop));
    if (refusal) return sendAnswer(res, recorded, refusal);
    const name = `auth_tokens/${randomKey().slice(7)}`;
    this.#tokens.set(name, recorded.key ?? "");
    const body = typeof recorded.body === "object" && recorded.body !== null ? recorded.body : {};
    sendAnswer(res, recorded, { status: 200, body: { ...body, name } });
  }

  /** Gemini's OpenAI-compatible endpoint: key refusals and faults as there (array-wrapped errors), then a minimal answer. */
  async #respondOpenAiCompat(recorded: RecordedRequest, res: ServerResponse, signal: AbortSignal, refusal: HttpAnswer | null): Promise<void> {
    if (refusal) return sendAnswer(res, recorded, compatError(refusal));
    const fault = this.#takeFault(recorded, recorded.model);
    if (fault?.kind === "http-error") {
      const answer = fault.body === undefined ? defaultErrorForStatus(fault.status, recorded.model ?? "") : { status: fault.status, body: fault.body };
      return sendAnswer(res, recorded, compatError(answer));
    }
    if (!(await this.#preamble(recorded, res, signal, fault, recorded.model ?? ""))) return;
    return answerOpenAiCompat(recorded, res, signal, this.chunkChars);
  }

  /** `models.list` and `models.get`. */
  async #respondModels(recorded: RecordedRequest, res: ServerResponse, signal: AbortSignal, model: SimulatedModel | undefined): Promise<void> {
    const answer: HttpAnswer =
      recorded.action === "models.list"
        ? { status: 200, body: listModelsPage(recorded.query) }
        : model
          ? { status: 200, body: modelResource(model) }
          : modelNotFoundError(recorded.model ?? "", recorded.apiVersion ?? "v1beta", "generateContent");
    const fault = this.#takeFault(recorded, model?.id ?? recorded.model);
    if (!(await this.#preamble(recorded, res, signal, fault, model?.id ?? ""))) return;
    return this.#answerSimple(recorded, res, signal, answer, fault);
  }

  /** generate, countTokens and embed requests to an existing model: body checks, quota, fault, answer. */
  async #respondModelAction(recorded: RecordedRequest, res: ServerResponse, signal: AbortSignal, model: SimulatedModel): Promise<void> {
    if (parseJsonBody(recorded.rawBody) === undefined) return sendAnswer(res, recorded, invalidJsonError(recorded.rawBody));
    const generate = recorded.action === "generateContent" || recorded.action === "streamGenerateContent";
    const invalid = generate ? validateGenerateRequest(recorded) : null;
    if (invalid) return sendAnswer(res, recorded, invalid);
    // A file or cached content of another project: Google's 403, before any quota is spent.
    const foreign = recorded.key === null ? null : this.resources.referenceRefusal(recorded.key, recorded.body);
    if (foreign) return sendAnswer(res, recorded, foreign);
    if (quotaActions.includes(recorded.action) && recorded.key !== null) {
      const quota = this.#refusal(recorded, this.#keys.admit(recorded.key, model.id, recorded.hop));
      if (quota) return sendAnswer(res, recorded, quota);
    }
    const fault = this.#takeFault(recorded, model.id);
    if (!(await this.#preamble(recorded, res, signal, fault, model.id))) return;
    if (!generate) return this.#answerSimple(recorded, res, signal, otherAnswer(model, recorded), fault);
    return answerGenerate({
      recorded,
      model,
      res,
      signal,
      fault,
      chunkChars: this.chunkChars,
      intervalMs: this.intervalMs,
      answer: this.#answer,
      thoughts: this.#thoughts,
      gate: recorded.action === "streamGenerateContent" ? this.#takeGate() : null,
    });
  }

  /**
   * Holds the next streamed generate answer before each of its events until the returned gate
   * releases them, and records what was written (gate.ts).
   */
  gateNextStream(): EventGate {
    this.#gate = new EventGate();
    return this.#gate;
  }

  #takeGate(): EventGate | null {
    const gate = this.#gate;
    this.#gate = null;
    return gate;
  }

  /** The next queued fault matching this request, recorded on it. */
  #takeFault(recorded: RecordedRequest, model: string | null): Fault | null {
    const fault = this.#faults.take({ model, key: recorded.key, hop: recorded.hop, action: recorded.action });
    if (fault) recorded.fault = fault;
    return fault;
  }

  /** The error for a refused key, or null. */
  #refusal(recorded: RecordedRequest, verdict: KeyVerdict): HttpAnswer | null {
    switch (verdict.kind) {
      case "ok":
        return null;
      case "missing":
        return unregisteredCallerError();
      case "unknown":
        return apiKeyInvalidError();
      case "refused":
        recorded.behaviour = verdict.behaviour;
        return behaviourError(verdict.behaviour, recorded.key ?? "", recorded.model ?? "", verdict.retryDelay, verdict.limit);
    }
  }

  /** Faults that act before any answer: hangup, http-error, first-byte-delay. False when the request is done with. */
  async #preamble(recorded: RecordedRequest, res: ServerResponse, signal: AbortSignal, fault: Fault | null, model: string): Promise<boolean> {
    switch (fault?.kind) {
      case "hangup":
        res.socket?.destroy();
        return false;
      case "http-error": {
        const answer = fault.body === undefined ? defaultErrorForStatus(fault.status, model) : { status: fault.status, body: fault.body };
        sendAnswer(res, recorded, answer);
        return false;
      }
      case "first-byte-delay":
        return fault.afterHeaders === true ? true : sleep(fault.ms, signal);
      default:
        return true;
    }
  }

  /** A complete answer for the non-generate actions, honouring `cut` faults with reset/stall. */
  async #answerSimple(recorded: RecordedRequest, res: ServerResponse, signal: AbortSignal, answer: HttpAnswer, fault: Fault | null = null): Promise<void> {
    if (fault?.kind === "cut" && fault.mode !== "close") {
      if (fault.mode === "stall") await untilAborted(signal);
      res.destroy();
      return;
    }
    sendAnswer(res, recorded, answer);
  }
}

/** Whether `model` answers `action`. */
function supports(model: SimulatedModel, action: Action): boolean {
  switch (action) {
    case "generateContent":
    case "streamGenerateContent":
      return isGenerative(model);
    case "embedContent":
    case "batchEmbedContents":
      return model.embeddingDimensions !== undefined;
    default:
      return true;
  }
}

/** The answer to countTokens and the embedding actions. */
function otherAnswer(model: SimulatedModel, recorded: RecordedRequest): HttpAnswer {
  switch (recorded.action) {
    case "embedContent":
      return answerEmbedContent(model, recorded.body);
    case "batchEmbedContents":
      return answerBatchEmbedContents(model, recorded.body);
    default:
      return answerCountTokens(recorded.body);
  }
}
