/**
 * Issue #14 finding 8 at deploy time: `gemrelay deploy` refuses the GEMINI_API_KEYS and
 * RELAY_TOKEN values the worker would refuse, naming the field and showing keys masked only.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadManifest, ManifestError } from "../../deploy/manifest.ts";
import { requireSecrets } from "../../deploy/secrets.ts";
import { repositoryRoot } from "../../deploy/targets.ts";
import { maskSecret } from "../../shared/secrets.ts";

const good = "AIza" + "DeployGoodKey0123456789abcdefghijkl";
const spoiled = "AIzaDeployBadKey01234\u200b56789abcdefghijklm";

describe("deploy secrets", () => {
  it("refuses malformed pool keys and a relay token no header can carry, masked", async () => {
    const manifest = await loadManifest(path.join(repositoryRoot, "deploy/manifest.yaml"));
    const env = {
      [manifest.secrets.GEMINI_API_KEYS]: `${good},${spoiled}`,
      [manifest.secrets.RELAY_TOKEN]: "rt-deploy secret-0123456789",
    };
    let error: unknown;
    try {
      requireSecrets(manifest, env, ["GEMINI_API_KEYS", "RELAY_TOKEN"], "manifest.yaml");
    } catch (failure) {
      error = failure;
    }
    expect(error).toBeInstanceOf(ManifestError);
    const problems = (error as ManifestError).problems;
    expect(problems.map((problem) => problem.path)).toEqual(["secrets.GEMINI_API_KEYS", "secrets.RELAY_TOKEN"]);
    expect(problems[0]?.message).toContain(`entry 2 of ${manifest.secrets.GEMINI_API_KEYS} (${maskSecret(spoiled)})`);
    expect((error as Error).message).not.toContain(spoiled.slice(4, -3));
    expect((error as Error).message).not.toContain("rt-deploy secret");
    // Well-formed values pass.
    expect(requireSecrets(manifest, { ...env, [manifest.secrets.GEMINI_API_KEYS]: good, [manifest.secrets.RELAY_TOKEN]: "rt-deploy-secret-0123456789" }, ["GEMINI_API_KEYS", "RELAY_TOKEN"], "manifest.yaml")).toEqual({
      GEMINI_API_KEYS: good,
      RELAY_TOKEN: "rt-deploy-secret-0123456789",
    });
  });
});
