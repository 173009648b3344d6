/**
 * deploy/manifest.schema.json is what the zod schema generates (`gemrelay configs --write`
 * rewrites it), the default manifest points editors at it, and it describes the same manifests:
 * required fields, strictness, and the region lists Gemini serves.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { allowedRegions, netlifyRegions, vercelRegions } from "../../deploy/regions.ts";
import { manifestJsonSchema, manifestSchemaFile, renderManifestSchema } from "../../deploy/schema.ts";
import { repositoryRoot } from "../../deploy/targets.ts";

type Schema = Record<string, any>;

describe("manifest JSON Schema", () => {
  it("the committed file is exactly what the zod schema generates (run `gemrelay configs --write`)", () => {
    expect(readFileSync(manifestSchemaFile, "utf8")).toBe(renderManifestSchema());
  });

  it("the default manifest names it for yaml-language-server", () => {
    const manifest = readFileSync(path.join(repositoryRoot, "deploy/manifest.yaml"), "utf8");
    expect(manifest.split("\n")[0]).toBe("# yaml-language-server: $schema=./manifest.schema.json");
  });

  it("is draft 2020-12, strict, and requires name and worker", () => {
    const schema = manifestJsonSchema() as Schema;
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.required).toEqual(expect.arrayContaining(["name", "worker"]));
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(["name", "upstream", "worker", "relays", "routing", "resume", "operations", "secrets"]);
  });

  it("offers exactly the relay regions Gemini serves, per platform, and never hkg1", () => {
    const variants = (manifestJsonSchema() as Schema).properties.relays.items.oneOf as Schema[];
    const regions = Object.fromEntries(variants.map((variant) => [variant.properties.platform.const, variant.properties.region.enum]));
    expect(regions).toEqual({ netlify: allowedRegions(netlifyRegions), vercel: allowedRegions(vercelRegions) });
    expect(regions.vercel).not.toContain("hkg1");
    for (const variant of variants) expect(variant.properties.team.description).toMatch(/Team slug or id/);
  });

  it("documents the secrets block as variable names with defaults", () => {
    const secrets = (manifestJsonSchema() as Schema).properties.secrets;
    expect(Object.keys(secrets.properties)).toEqual(["RELAY_TOKEN", "AUTH_KEY", "ADMIN_KEY", "GEMINI_API_KEYS"]);
    expect(secrets.properties.AUTH_KEY).toMatchObject({ type: "string", default: "AUTH_KEY" });
  });
});
