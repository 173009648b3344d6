/** The manifest's `operations` block becomes MODEL_POLICY, BUDGETS and ALERT_* for the worker, which reads them back. */
import { describe, expect, it } from "vitest";
import { loadManifest, parseManifest } from "../../deploy/manifest.ts";
import { workerVariables } from "../../deploy/worker-env.ts";
import { readWorkerConfig } from "../../shared/config/env.ts";
import path from "node:path";
import { repositoryRoot } from "../../deploy/targets.ts";

describe("manifest operations block", () => {
  it("maps to worker variables the worker configuration reads", async () => {
    const base = await loadManifest(path.join(repositoryRoot, "deploy/manifest.yaml"));
    const manifest = parseManifest({
      ...JSON.parse(JSON.stringify(base)),
      operations: {
        models: { aliases: { fast: "gemini-2.5-flash" }, disabled: ["gemini-2.5-pro"] },
        budgets: { enabled: true, limits: { "gemini-2.5-flash": { rpm: 5 } } },
        alerts: { format: "discord", repeatMs: 1000 },
      },
    });
    const variables = workerVariables(manifest, { relays: [], upstream: "https://generativelanguage.googleapis.com" });
    expect(variables).toMatchObject({ ALERT_FORMAT: "discord", ALERT_REPEAT_MS: "1000" });
    const config = readWorkerConfig(variables);
    expect(config.policy.models).toMatchObject({ aliases: { fast: "gemini-2.5-flash" }, disabled: ["gemini-2.5-pro"] });
    expect(config.policy.budgets).toMatchObject({ enabled: true, freeTier: true, limits: { "gemini-2.5-flash": { rpm: 5 } } });
    expect(config.alerts).toMatchObject({ format: "discord", repeatMs: 1000, webhookUrl: undefined });
  });

  it("names the field at fault", async () => {
    const base = await loadManifest(path.join(repositoryRoot, "deploy/manifest.yaml"));
    expect(() => parseManifest({ ...JSON.parse(JSON.stringify(base)), operations: { budgets: { limits: { "gemini-2.5-flash": { rpm: -1 } } } } })).toThrow(/operations\.budgets\.limits/);
  });
});
