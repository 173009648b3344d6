/**
 * The one error hierarchy of gemrelay. Each error knows its HTTP status and Google status name;
 * `app.ts` maps them to a response once, in the caller's protocol (Gemini or OpenAI JSON).
 */

/** Google's canonical status names by HTTP status, as in Gemini error bodies. */
export const googleStatusByHttp: Readonly<Record<number, string>> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ABORTED",
  413: "INVALID_ARGUMENT",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  500: "INTERNAL",
  501: "UNIMPLEMENTED",
  502: "UNAVAILABLE",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

/** Base class: an error with a status meant to reach the client. */
export class GemrelayError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** Extra `details` entries for the Gemini error body (e.g. RetryInfo). */
    readonly details: readonly Record<string, unknown>[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** Google status name, e.g. `UNAUTHENTICATED`. */
  get googleStatus(): string {
    return googleStatusByHttp[this.status] ?? "UNKNOWN";
  }
}

/** Missing, wrong, revoked or expired client credential. */
export class AuthenticationError extends GemrelayError {
  constructor(message = "API key not valid. Please pass a valid gemrelay access key.") {
    super(message, 401);
  }
}

/** A valid credential asking for something it may not have (a model outside its allow-list). */
export class ForbiddenError extends GemrelayError {
  constructor(message: string) {
    super(message, 403);
  }
}

/** A client over its request rate; carries Gemini's RetryInfo so SDKs back off for the right time. */
export class RateLimitError extends GemrelayError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, 429, [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${retryAfterSeconds}s` }]);
  }
}

/** Malformed client input. */
export class BadRequestError extends GemrelayError {
  constructor(message: string) {
    super(message, 400);
  }
}

/** A request body over the configured limit (MAX_BODY_BYTES). */
export class PayloadTooLargeError extends GemrelayError {
  constructor(limit: number) {
    super(`The request body is larger than gemrelay's limit of ${limit} bytes (MAX_BODY_BYTES).`, 413);
  }
}

/** The deployment is not configured well enough to serve (no keys, no secrets). */
export class SetupError extends GemrelayError {
  constructor(message: string) {
    super(message, 503);
  }
}

/** No upstream attempt could be completed (relays down, budget spent). */
export class UpstreamUnavailableError extends GemrelayError {
  constructor(message: string, status = 502, details: readonly Record<string, unknown>[] = []) {
    super(message, status, details);
  }
}

/**
 * The answer to an exception gemrelay did not expect: a generic 500 whose message carries an id
 * to find the logged details by, never the exception's own text (it may hold a key or a header
 * value, e.g. `Headers.set: "AIza…" is an invalid header value`).
 */
export class InternalError extends GemrelayError {
  constructor(readonly requestId: string = crypto.randomUUID()) {
    super(`Internal error in gemrelay (request id ${requestId}); the details are in gemrelay's log under this id.`, 500);
  }
}

/**
 * `error` as a GemrelayError for the client: itself when it is one, else an InternalError whose
 * id is logged with the exception's message (masked by the app's logger, see shared/app.ts).
 */
export function clientError(error: unknown, log: (entry: Record<string, unknown>) => void, where: Record<string, unknown> = {}): GemrelayError {
  if (error instanceof GemrelayError) return error;
  const internal = new InternalError();
  log({ level: "error", event: "unhandled", ...where, requestId: internal.requestId, error: error instanceof Error ? error.name : typeof error, message: error instanceof Error ? error.message : String(error) });
  return internal;
}

/** Headers every error answer carries: the request id of an internal error, so support can find it. */
export function errorHeaders(error: GemrelayError, contentType: string): Headers {
  const headers = new Headers({ "content-type": contentType });
  if (error instanceof InternalError) headers.set("x-request-id", error.requestId);
  return headers;
}

/** Gemini's error JSON for an error: `{"error": {code, message, status, details?}}`. */
export function geminiErrorBody(error: GemrelayError): string {
  const body: Record<string, unknown> = { code: error.status, message: error.message, status: error.googleStatus };
  if (error.details.length > 0) body.details = error.details;
  return JSON.stringify({ error: body });
}

/** A Response carrying `error` in Gemini's error shape. */
export function geminiErrorResponse(error: GemrelayError): Response {
  return new Response(geminiErrorBody(error), { status: error.status, headers: errorHeaders(error, "application/json; charset=UTF-8") });
}

/**
 * An upstream error answer to hand to the client unchanged (a client error such as 404 for an
 * unknown model, or Gemini's own last 5xx): status, headers and body as Gemini sent them.
 */
export class UpstreamResponseError extends GemrelayError {
  constructor(
    readonly body: string,
    status: number,
    readonly headers: Headers,
  ) {
    super(body, status);
  }

  /** The upstream answer as a Response again. */
  toResponse(): Response {
    return new Response(this.body, { status: this.status, headers: this.headers });
  }
}
