/**
 * The Netlify side of the egress relay: environment and region from the platform, the rest in
 * shared/egress/relay.ts. The build wraps this with a generated file carrying the literal
 * `config` (Netlify reads `config` from the function's source, so it must be a literal there).
 *
 * Netlify facts used (checked 2026-11, @netlify/functions 5.3 typings and docs):
 * - Functions v2: `export default (req: Request, context: Context) => Response`;
 *   https://docs.netlify.com/build/functions/api/
 * - Environment: `Netlify.env.get(name)` (global in the runtime); `process.env` also works.
 * - `context.geo` is the *client's* location, not the function's; `context.server.region` is
 *   typed but documented for edge functions. The function runs on AWS Lambda, which sets
 *   AWS_REGION (e.g. `us-east-2`); we report Netlify's airport code for it.
 */
import type { Context } from "@netlify/functions";
import { createRelayHandler } from "../../shared/egress/relay.ts";

/** Netlify's function regions (airport codes of `config.region`) by AWS region. */
const airportCodeByAwsRegion: Readonly<Record<string, string>> = {
  "us-east-1": "iad",
  "us-east-2": "cmh",
  "us-west-1": "sfo",
  "us-west-2": "pdx",
  "ca-central-1": "yul",
  "sa-east-1": "gru",
  "eu-west-1": "dub",
  "eu-west-2": "lhr",
  "eu-central-1": "fra",
  "ap-northeast-1": "nrt",
  "ap-southeast-1": "sin",
  "ap-southeast-2": "syd",
};

/** Options of the Netlify relay function. */
export interface NetlifyRelayOptions {
  /** The region `config.region` asks for; reported when the runtime does not say where it runs. */
  region: string;
  /** Injected fetch (tests). */
  fetch?: typeof fetch;
}

function environment(name: string): string | undefined {
  return (typeof Netlify === "undefined" ? undefined : Netlify.env.get(name)) ?? process.env[name];
}

/** The Netlify Functions v2 handler of the egress relay. */
export function createNetlifyHandler(options: NetlifyRelayOptions): (request: Request, context?: Context) => Promise<Response> {
  return (request, context) => {
    const running = context?.server?.region ?? process.env.AWS_REGION;
    const region = running ? (airportCodeByAwsRegion[running] ?? running) : options.region;
    const relay = createRelayHandler({
      relayToken: environment("RELAY_TOKEN"),
      upstream: environment("GEMINI_UPSTREAM"),
      platform: "netlify",
      region,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    return relay(request);
  };
}
