/**
 * Which requests the Responses surface answers: `POST …/v1/responses` (any path prefix before
 * `/v1`, and without `/v1` at the root); a WebSocket upgrade on that path (Codex tries one
 * first, and falls back to HTTP on 426); and `GET|DELETE …/v1/responses/{id}`, which find
 * nothing because gemrelay stores no responses.
 */

/** A Responses route. */
export type ResponsesRoute = { kind: "create" } | { kind: "websocket" } | { kind: "stored"; id: string };

const pattern = /^(?:(?:\/[^/]+)*?\/v1)?\/responses(?:\/([^/]+)(?:\/[^/]+)?)?\/?$/;

/** The Responses route of a request, or null. */
export function matchResponsesRoute(request: Request, url: URL): ResponsesRoute | null {
  const match = pattern.exec(url.pathname);
  if (!match) return null;
  const id = match[1];
  if (request.headers.get("upgrade")?.toLowerCase() === "websocket") return { kind: "websocket" };
  if (id === undefined) return request.method === "POST" ? { kind: "create" } : null;
  return request.method === "GET" || request.method === "DELETE" ? { kind: "stored", id } : null;
}
