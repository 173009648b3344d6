/**
 * deploy/Dockerfile stays in step with the build it packages (no Docker daemon is needed here):
 * it builds the node target the CLI builds, copies the file `buildNodeServer` writes, runs as a
 * non-root user with state on a volume and a health check on /health, and its ignore file keeps
 * local state and secrets out of the build context.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { discontinuedNodeMajors, dockerBaseImage } from "../../deploy/platforms.ts";
import { repositoryRoot } from "../../deploy/targets.ts";

const dockerfile = readFileSync(path.join(repositoryRoot, "deploy/Dockerfile"), "utf8");
const instructions = dockerfile
  .replace(/\\\n\s*/g, " ")
  .split("\n")
  .filter((line) => line.trim() && !line.trim().startsWith("#"));
const finalStage = instructions.slice(instructions.findLastIndex((line) => line.startsWith("FROM ")));

describe("deploy/Dockerfile", () => {
  it("builds the self-host bundle in a first stage and runs exactly that file", () => {
    expect(instructions.filter((line) => line.startsWith("FROM "))).toEqual(["FROM ${BASE_IMAGE} AS build", "FROM ${BASE_IMAGE}"]);
    expect(instructions).toContain("RUN node deploy/bin/gemrelay.js build --only node");
    expect(finalStage).toContain("COPY --from=build /app/dist/node/server.mjs ./dist/node/server.mjs");
    expect(finalStage.at(-1)).toBe('CMD ["node", "dist/node/server.mjs"]');
  });

  it("defaults BASE_IMAGE to the supported Node.js LTS of deploy/platforms.ts, not an end-of-life one", () => {
    expect(instructions).toContain(`ARG BASE_IMAGE=${dockerBaseImage}`);
    expect(dockerBaseImage).toBe("node:24-bookworm-slim");
    expect(discontinuedNodeMajors[Number(/node:(\d+)/.exec(dockerBaseImage)![1])]).toBeUndefined();
  });

  it("runs as the node user, keeps state on /data, and checks /health", () => {
    expect(finalStage).toContain("USER node");
    expect(finalStage).toContain('VOLUME ["/data"]');
    expect(finalStage.find((line) => line.startsWith("ENV "))).toMatch(/DATA_DIR=\/data.*KEYS_FILE=\/data\/keys\.txt/);
    const healthcheck = finalStage.find((line) => line.startsWith("HEALTHCHECK "))!;
    expect(healthcheck).toContain("/health");
    // Exec form: the check script must be one valid JSON array.
    expect(JSON.parse(healthcheck.slice(healthcheck.indexOf("CMD ") + 4))).toHaveLength(3);
  });

  it("keeps installs, builds, state and secrets out of the build context", () => {
    const ignored = readFileSync(path.join(repositoryRoot, "deploy/Dockerfile.dockerignore"), "utf8").split("\n");
    for (const entry of ["node_modules", "dist", "data", "keys.txt", ".gemrelay", ".git"]) expect(ignored).toContain(entry);
  });
});
