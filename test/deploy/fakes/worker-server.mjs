/**
 * The fake wrangler's "Cloudflare": serves a worker bundle under workerd through miniflare with
 * the options in the JSON file named on the command line (bindings = the config's vars plus the
 * uploaded secrets; SQLite Durable Objects persisted under the fake's folder). Prints
 * "listening on <url>" once ready; SIGTERM disposes miniflare and exits.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Miniflare } from "miniflare";

const options = JSON.parse(readFileSync(process.argv[2], "utf8"));
const miniflare = new Miniflare({
  name: options.name,
  modules: true,
  scriptPath: options.scriptPath,
  modulesRoot: path.dirname(options.scriptPath),
  compatibilityDate: options.compatibilityDate,
  compatibilityFlags: options.compatibilityFlags,
  durableObjects: options.durableObjects,
  defaultPersistRoot: options.persistRoot,
  bindings: options.bindings,
  host: "127.0.0.1",
  port: options.port,
  cf: false,
});
const url = (await miniflare.ready).href.replace(/\/$/, "");
console.log(`worker ${options.name} listening on ${url}`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 5_000).unref();
  void miniflare.dispose().then(
    () => process.exit(0),
    () => process.exit(0),
  );
};
process.prependListener("SIGTERM", stop);
process.prependListener("SIGINT", stop);
