/**
 * deploy/Dockerfile built and run, when a Docker engine answers (Debian's docker.io): the container
 * answers /health and a generate against the simulator, and its state (generated secrets, a pool
 * key added through the admin API) survives a restart on its volume. Without an engine the test
 * says so, and fails only when CI_DOCKER=required.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage, docker, dockerEngine, ensureBaseImage } from "../helpers/docker.ts";
import { freePort } from "../helpers/process.ts";
import { GeminiSimulator } from "../sim/index.ts";

const engine = dockerEngine();

if ("missing" in engine) describe("deploy/Dockerfile without a Docker engine", () => {
  const reason = "missing" in engine ? engine.missing : "";
  // The reason is in the test's name, so the report shows it (passing tests' logs are not shown).
  it(`did not build or run the image (fails when CI_DOCKER=required): ${reason}`, () => {
    if (process.env.CI_DOCKER === "required") throw new Error(`CI_DOCKER=required, but no Docker engine: ${reason}`);
    console.warn(`docker-run.test.ts: the image was not built or run: ${reason}`);
    expect(reason).not.toBe("");
  });
});

else describe("deploy/Dockerfile built and run", () => {
  const tag = `gemrelay-test:${process.pid}`;
  const volume = `gemrelay-test-data-${process.pid}`;
  const container = `gemrelay-test-${process.pid}`;
  let sim: GeminiSimulator;
  let url: string;
  let key: string;

  const logs = () => docker(["logs", container]) + "";
  const waitHealthy = async () => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const ok = await fetch(`${url}/health`).then((response) => response.ok, () => false);
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`the container did not answer /health:\n${logs()}`);
  };
  const secretsFrom = (text: string) => ({
    auth: /AUTH_KEY=(\S+)/.exec(text)?.[1] ?? "",
    admin: /ADMIN_KEY=(\S+)/.exec(text)?.[1] ?? "",
  });
  const generate = (accessKey: string) =>
    fetch(`${url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": accessKey },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "from the container" }] }] }),
    });

  beforeAll(async () => {
    buildImage(tag, ensureBaseImage());
    sim = await GeminiSimulator.start();
    key = sim.createKey();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    docker(["volume", "create", volume]);
    // Host networking: the simulator listens on this machine's loopback.
    docker(["run", "-d", "--name", container, "--network", "host", "-e", `PORT=${port}`, "-e", "HOST=127.0.0.1", "-e", `GEMINI_UPSTREAM=${sim.url}`, "-v", `${volume}:/data`, tag]);
    await waitHealthy();
  }, 1_200_000);

  afterAll(async () => {
    spawnQuietly(["rm", "-f", container]);
    spawnQuietly(["volume", "rm", "-f", volume]);
    spawnQuietly(["rmi", "-f", tag]);
    await sim?.close();
  });

  it("answers /health and, with a pool key added through the admin API, a generate against the simulator", async () => {
    const { auth, admin } = secretsFrom(logs());
    expect(auth).toMatch(/^sk-gemrelay-/);
    const added = await fetch(`${url}/api/keys`, { method: "POST", headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" }, body: JSON.stringify({ keys: [key] }) });
    expect(added.status).toBe(200);
    const response = await generate(auth);
    expect(response.status).toBe(200);
    expect(JSON.stringify(await response.json())).toContain("Echo: from the container");
  });

  it("keeps its generated secrets and pool keys on the volume across a restart", async () => {
    const before = secretsFrom(logs());
    docker(["restart", container], { timeoutMs: 60_000 });
    await waitHealthy();
    // Printed once: the restart generated nothing new.
    expect(logs().match(/Generated secrets/g)).toHaveLength(1);
    sim.reset();
    const response = await generate(before.auth);
    expect(response.status).toBe(200);
    expect(sim.requests.map((request) => request.key)).toEqual([key]);
  });
});

function spawnQuietly(args: string[]): void {
  try {
    docker(args);
  } catch {
    // cleanup: already gone
  }
}
