/**
 * Serves the console: the HTML shell at `/`, its script and stylesheet, with a strict CSP (no
 * inline script or style, nothing from other origins) and no caching of the page.
 */
import type { Hono } from "hono";
import { consolePage } from "./console/page.ts";
import { scriptAccess } from "./console/script-access.ts";
import { scriptCore } from "./console/script-core.ts";
import { scriptKeys } from "./console/script-keys.ts";
import { scriptUsage } from "./console/script-usage.ts";
import { scriptOperations } from "./console/script-operations.ts";
import { consoleStyle } from "./console/style.ts";

/** The whole console script, in the order its parts depend on each other. */
export const consoleScript = [scriptCore, scriptKeys, scriptAccess, scriptUsage, scriptOperations].join("\n");

/** Security headers of every console response. */
export const consoleHeaders: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

function asset(body: string, type: string): Response {
  return new Response(body, { headers: { ...consoleHeaders, "content-type": type } });
}

/** Adds `/`, `/console.js` and `/console.css`. */
export function mountConsole(app: Hono): void {
  app.get("/", () => asset(consolePage, "text/html; charset=utf-8"));
  app.get("/console.js", () => asset(consoleScript, "text/javascript; charset=utf-8"));
  app.get("/console.css", () => asset(consoleStyle, "text/css; charset=utf-8"));
  app.get("/favicon.ico", () => new Response(null, { status: 204, headers: consoleHeaders }));
}
