/**
 * Where each platform can run our code, and which of those places Gemini refuses.
 *
 * Gemini answers 400 FAILED_PRECONDITION "User location is not supported" to callers in
 * countries outside its list (https://ai.google.dev/gemini-api/docs/available-regions) —
 * notably Hong Kong and mainland China. An egress relay pinned there would fail every request,
 * so the manifest refuses such regions before anything is built or deployed.
 *
 * The tables are deliberately small and explicit: a region missing here is rejected as unknown
 * (with the allowed list), never silently accepted. Add a region after checking both the
 * platform's list and Gemini's.
 */

/** One region a platform offers. */
export interface RegionInfo {
  /** Where it is, for messages and `gemrelay doctor`. */
  location: string;
  /** Set when Gemini refuses callers from this region: why, in one sentence. */
  refused?: string;
}

const hongKong = "Gemini refuses callers in Hong Kong (\"User location is not supported\", https://ai.google.dev/gemini-api/docs/available-regions)";
const china = "Gemini refuses callers in mainland China (\"User location is not supported\", https://ai.google.dev/gemini-api/docs/available-regions)";

/**
 * Netlify Functions regions (airport codes; `FunctionRegion` in @netlify/types, default `cmh`).
 * https://docs.netlify.com/build/functions/configuration/#region
 */
export const netlifyRegions: Readonly<Record<string, RegionInfo>> = {
  cmh: { location: "US East (Ohio)" },
  iad: { location: "US East (N. Virginia)" },
  pdx: { location: "US West (Oregon)" },
  sfo: { location: "US West (N. California)" },
  yul: { location: "Canada (Montréal)" },
  gru: { location: "South America (São Paulo)" },
  dub: { location: "EU (Ireland)" },
  lhr: { location: "EU (London)" },
  fra: { location: "EU (Frankfurt)" },
  nrt: { location: "Asia Pacific (Tokyo)" },
  sin: { location: "Asia Pacific (Singapore)" },
  syd: { location: "Asia Pacific (Sydney)" },
};

/**
 * Vercel Functions regions (default `iad1`). https://vercel.com/docs/regions
 */
export const vercelRegions: Readonly<Record<string, RegionInfo>> = {
  iad1: { location: "Washington, D.C., USA" },
  cle1: { location: "Cleveland, USA" },
  pdx1: { location: "Portland, USA" },
  sfo1: { location: "San Francisco, USA" },
  yul1: { location: "Montréal, Canada" },
  gru1: { location: "São Paulo, Brazil" },
  dub1: { location: "Dublin, Ireland" },
  lhr1: { location: "London, United Kingdom" },
  cdg1: { location: "Paris, France" },
  fra1: { location: "Frankfurt, Germany" },
  arn1: { location: "Stockholm, Sweden" },
  cpt1: { location: "Cape Town, South Africa" },
  dxb1: { location: "Dubai, United Arab Emirates" },
  bom1: { location: "Mumbai, India" },
  sin1: { location: "Singapore" },
  hnd1: { location: "Tokyo, Japan" },
  kix1: { location: "Osaka, Japan" },
  icn1: { location: "Seoul, South Korea" },
  syd1: { location: "Sydney, Australia" },
  hkg1: { location: "Hong Kong", refused: hongKong },
};

/**
 * Cloudflare placement regions that Gemini refuses (`[placement] region = "<provider>:<region>"`,
 * https://developers.cloudflare.com/workers/configuration/placement/). Other well-formed
 * `aws:`, `gcp:` and `azure:` regions are accepted: Cloudflare validates the name on deploy.
 */
export const refusedPlacementRegions: Readonly<Record<string, RegionInfo>> = {
  "aws:ap-east-1": { location: "AWS Hong Kong", refused: hongKong },
  "gcp:asia-east2": { location: "GCP Hong Kong", refused: hongKong },
  "azure:eastasia": { location: "Azure Hong Kong", refused: hongKong },
  "aws:cn-north-1": { location: "AWS Beijing", refused: china },
  "aws:cn-northwest-1": { location: "AWS Ningxia", refused: china },
  "azure:chinaeast": { location: "Azure China East", refused: china },
  "azure:chinanorth": { location: "Azure China North", refused: china },
};

/** Placement region syntax accepted by wrangler: `<provider>:<region>`. */
export const placementRegionPattern = /^(aws|gcp|azure):[a-z0-9-]+$/;

/**
 * Durable Object location hints; the object keeps pool state only and never calls Gemini, so no
 * hint is refused. The hint follows the placement region (platforms.ts).
 */
export { locationHints } from "./platforms.ts";

/** Region tables by relay platform. */
export const relayRegions = { netlify: netlifyRegions, vercel: vercelRegions } as const;

/** The regions of a table that Gemini serves, for "allowed values" in messages. */
export function allowedRegions(table: Readonly<Record<string, RegionInfo>>): string[] {
  return Object.entries(table)
    .filter(([, info]) => !info.refused)
    .map(([code]) => code);
}
