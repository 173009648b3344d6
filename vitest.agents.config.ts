import { defineConfig } from "vitest/config";

/**
 * The agents suite (`npm run test:agents`): the real Claude Code and Codex CLIs from npm,
 * installed on first use (≈300 MB of native binaries), against the built bundles. Kept out of
 * `npm test` so that the main suite needs neither that download nor the registry.
 */
export default defineConfig({
  test: {
    include: ["test/agents/**/*.agent-test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 330_000,
    pool: "forks",
    fileParallelism: false,
  },
});
