/**
 * Close codes of Live sessions (RFC 6455 §7.4): what the client is told, and how Google's
 * refusals — which arrive as a close after the setup message, not as an HTTP status — are read
 * as the HTTP answers the error classification understands, so that a refused key is cooled or
 * disabled and the next one tried exactly as for a generate request.
 */
import { GemrelayError, geminiErrorBody } from "../errors.ts";
import { maskSecretsIn } from "../secrets.ts";

/** RFC 6455 allows 123 bytes of reason in a close frame. */
const reasonBytes = 123;

/** A close to send: code and reason. */
export interface LiveClose {
  code: number;
  reason: string;
}

/**
 * `reason` as a client may be told it: anything shaped like a key masked (Google names a
 * suspended key in its reason), cut to what a close frame carries on a character boundary.
 */
export function closeReason(text: string): string {
  const reason = maskSecretsIn(text);
  const encoder = new TextEncoder();
  if (encoder.encode(reason).byteLength <= reasonBytes) return reason;
  let cut = reason;
  while (encoder.encode(`${cut}…`).byteLength > reasonBytes) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/**
 * A code that may be sent: 1005, 1006 and 1015 only describe a close that had none, so a close
 * passed on from the other side with one of them becomes 1000 (no code) or 1011 (abnormal).
 */
export function sendableCode(code: number): number {
  if (code === 1005) return 1000;
  if (code === 1000 || (code >= 1001 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)) return code;
  return 1011;
}

/** The close for an error answered before or instead of a session: Google's codes for each kind. */
export function closeForError(error: GemrelayError): LiveClose {
  const code = error.status >= 500 || error.status === 429 ? 1011 : error.status === 400 ? 1007 : 1008;
  return { code, reason: closeReason(error.message) };
}

/**
 * An upstream close before `setupComplete`, as the HTTP answer Google gives the same refusal on a
 * generate request (REFERENCE.md §2): a bad key 400/403, quota 429, a refused location 400,
 * Google's own trouble 503. Anything else is the client's: 1007 (a bad setup) as 400, 1008 (an
 * unknown model, a policy) as 404, which `closeForError` turns back into the same codes.
 */
export function closeAsHttp(close: LiveClose): { status: number; body: string } {
  const { code, reason } = close;
  let status = 400;
  if (/quota|exhausted|rate limit/i.test(reason)) status = 429;
  else if (/api key|suspended|unregistered callers|permission denied|ephemeral token/i.test(reason)) status = /permission|suspended/i.test(reason) ? 403 : 400;
  else if (/user location is not supported/i.test(reason)) status = 400;
  else if (code === 1008) status = 404;
  else if (code === 1011 || code === 1013 || code === 1006 || code === 1001 || code === 1012 || code === 1014) status = 503;
  return { status, body: geminiErrorBody(new GemrelayError(reason || `Gemini closed the Live session (code ${code}).`, status)) };
}
