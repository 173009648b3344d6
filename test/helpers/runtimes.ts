/**
 * The default manifest's built bundles (dist/) under the platforms' own local runtimes, for
 * test/runtimes (deploy/local-runtimes.ts starts them; `gemrelay dev --runtimes platform` too).
 */
import path from "node:path";
import { startNetlifyFunctionsServe as netlify, startVercelDevServer as vercel, startWranglerDev as wrangler, type RunningRuntime } from "../../deploy/local-runtimes.ts";
import { repositoryRoot } from "../../deploy/targets.ts";

export type { RunningRuntime };

/** dist/worker under `wrangler dev` with `vars` in `.dev.vars`. */
export const startWranglerDev = (vars: Record<string, string>) => wrangler({ vars });

/** dist/netlify/netlify-cmh under `netlify functions:serve --offline`. */
export const startNetlifyFunctionsServe = (env: Record<string, string>) => netlify({ env, dir: path.join(repositoryRoot, "dist/netlify/netlify-cmh") });

/** dist/vercel/vercel-iad1 under `@vercel/node`'s dev server. */
export const startVercelDevServer = (env: Record<string, string>) => vercel({ env, dir: path.join(repositoryRoot, "dist/vercel/vercel-iad1") });
