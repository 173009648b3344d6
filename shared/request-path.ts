/**
 * Request paths refused before routing: those that could name another path once something
 * further along (a router, a relay, Google's front end) decodes or normalises them. Runtimes that
 * normalise `..` themselves (the URL parser of Node and workerd) never let such a segment reach
 * the app; the self-host checks its raw request targets before that happens (relays/node).
 */

/** A `.` or `..` segment, dots plain or percent-encoded. */
const dotSegment = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

/** A backslash (read as `/` by URL parsers) or an encoded `/` or `\`. */
const separator = /\\|%2f|%5c/i;

/** An encoded C0 control character or DEL: CR/LF among them would split a header or log line. */
const controlCharacter = /%(?:[01][0-9a-f]|7f)/i;

const dotSegmentMessage = "The request path contains a '.' or '..' segment: gemrelay does not resolve them, send the path without.";
const separatorMessage = "The request path contains a backslash or an encoded slash (%2F, %5C), which could name another path once decoded.";

/**
 * Why a raw request target's path (without its query) would be rewritten by a URL parser, which
 * resolves dot segments and reads `\` as `/`; null when it would not.
 */
export function rewrittenPathProblem(path: string): string | null {
  if (dotSegment.test(path)) return dotSegmentMessage;
  if (path.includes("\\")) return separatorMessage;
  return null;
}

/** Why `path` (the path of a request URL, without its query) is refused, or null to serve it. */
export function requestPathProblem(path: string): string | null {
  const rewritten = rewrittenPathProblem(path);
  if (rewritten !== null) return rewritten;
  if (separator.test(path)) return separatorMessage;
  if (controlCharacter.test(path)) return "The request path contains an encoded control character (%00-%1F, %7F).";
  try {
    decodeURIComponent(path);
  } catch {
    return "The request path is not valid percent-encoded UTF-8.";
  }
  return null;
}
