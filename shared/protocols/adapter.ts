/**
 * The shape every client protocol takes (DESIGN.md "One engine, many front doors"): an adapter
 * turns its client's request into one {@link MappedGenerate} and the generate events back into
 * that protocol's whole answer or stream. Everything between the two — model policy, routing,
 * failover, resume, usage, budgets, access checks — is reached through `answerGenerate`
 * (generate.ts) and so is written once for Gemini native, OpenAI chat, OpenAI Responses and
 * Anthropic Messages alike.
 */
import type { ClientIdentity } from "../auth.ts";
import type { AppContext } from "../app.ts";
import type { GemrelayError } from "../errors.ts";
import type { GenerateContentRequest, GenerateContentResponse } from "../gemini/types.ts";
import type { GenerateEvent } from "../resume/generate.ts";
import type { Background } from "../routing/pool-view.ts";

/** A client request in Gemini's terms, as an adapter maps it. */
export interface MappedGenerate {
  /** The model as the client named it (no `models/`); the model policy resolves aliases on the seam. */
  model: string;
  body: GenerateContentRequest;
  /** The client asked for a stream. */
  stream: boolean;
}

/** How one protocol writes an answer: a stream encoder and the whole-answer body. */
export interface AnswerWriter {
  /** The streamed answer: events → bytes, ending with the protocol's terminal signal. A transformer (streams.ts). */
  stream(): Transformer<GenerateEvent, Uint8Array>;
  /** The assembled answer as the protocol's JSON body. */
  whole(answer: GenerateContentResponse): unknown;
}

/** Everything a protocol handler receives. */
export interface ProtocolRequest {
  request: Request;
  url: URL;
  identity: ClientIdentity;
  context: AppContext;
  background: Background;
}

/** A matched route of some protocol: its handler, and how its errors are written. */
export interface ProtocolRoute {
  /** Names the protocol in logs (`openai`, `anthropic`, `responses`). */
  surface: string;
  /** Answers the request; may throw a GemrelayError, written by `errorResponse`. */
  handle(input: ProtocolRequest): Promise<Response>;
  /** A failure before the answer started, in this protocol's error shape and status. */
  errorResponse(error: GemrelayError): Response;
  /**
   * Set for a route refused before authentication (a path no protocol serves, a WebSocket
   * upgrade): answered with this error, nothing sent upstream, no credential needed.
   */
  refusal?: GemrelayError;
}
