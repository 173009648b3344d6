/**
 * Egress relay as a Netlify Function (v2), source form for deploys that build from the repo.
 * The gemrelay build generates its own wrapper with the manifest's region instead.
 *
 * Netlify facts (https://docs.netlify.com/build/functions/configuration/, @netlify/functions 5.3):
 * - `config` is read statically from the source: keep it a literal (no variables, no spreads).
 * - `config.path` routes the function (URLPattern syntax) and replaces /.netlify/functions/<name>.
 * - `config.region` is an airport code (`cmh` default since 2023-10, `iad`, `pdx`, `sfo`, `yul`,
 *   `gru`, `dub`, `lhr`, `fra`, `nrt`, `sin`, `syd`); the docs list per-function regions as a
 *   paid-plan feature, so /health reports where the function really runs.
 * - Limits: 60 s synchronous (not configurable), 20 MB streamed response, 6 MB request body.
 */
import type { Config } from "@netlify/functions";
import { createNetlifyHandler } from "./handler.ts";

export default createNetlifyHandler({ region: "cmh" });

export const config: Config = {
  path: ["/v1beta/*", "/v1/*", "/v1alpha/*", "/upload/*", "/health"],
  region: "cmh",
};
