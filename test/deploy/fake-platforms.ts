/**
 * The deploy tests' view of the stand-in CLIs in test/deploy/fakes/: the environment that puts
 * them first on PATH, the calls they recorded, the platform state they keep, and stopping every
 * server their deploys started (by process group id, as recorded).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { repositoryRoot } from "../../deploy/targets.ts";
import { processAlive, temporaryFolder } from "./support.ts";

/** Folder of the stand-in executables. */
export const fakesDirectory = path.join(repositoryRoot, "test/deploy/fakes");

/** One recorded CLI call. */
export interface FakeCall {
  tool: "netlify" | "vercel" | "wrangler";
  argv: string[];
  cwd: string;
  stdin: string;
  env: Record<string, string>;
  /** Files named on the command line: content and octal mode, read while the call ran. */
  files: Record<string, { content: string; mode: string }>;
}

/** Platform state kept by the fakes (platforms.json). */
export interface FakePlatformState {
  netlify: { created: number; sites: { id: string; name: string; env: Record<string, string>; region?: string }[] };
  vercel: { created: number; projects: { id: string; name: string; orgId: string; env: Record<string, string>; region?: string }[] };
  cloudflare: { workers: Record<string, { vars?: Record<string, string>; secrets: Record<string, string>; url?: string }> };
}

/** Fake platform tokens: present in the CLIs' environment, never on their command lines. */
export const fakeTokens = {
  NETLIFY_AUTH_TOKEN: "nfp_fake_netlify_token_0123456789",
  VERCEL_TOKEN: "vercel_fake_token_0123456789",
  CLOUDFLARE_API_TOKEN: "cf_fake_api_token_0123456789",
  CLOUDFLARE_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
};

/** A fresh set of fake platforms. */
export function createFakePlatforms() {
  const folder = temporaryFolder("gemrelay-fake-cli-");
  const dir = path.join(folder.path, "cli");
  const readLines = (name: string) => (existsSync(path.join(dir, name)) ? readFileSync(path.join(dir, name), "utf8").split("\n").filter(Boolean) : []);
  return {
    dir,
    /** Environment for `runCli`: fakes first on PATH, the fake state folder, the tokens. */
    env(extra: Record<string, string> = {}): Record<string, string> {
      return { PATH: `${fakesDirectory}${path.delimiter}${process.env.PATH ?? ""}`, FAKE_CLI_DIR: dir, ...fakeTokens, ...extra };
    },
    calls(): FakeCall[] {
      return readLines("calls.jsonl").map((line) => JSON.parse(line) as FakeCall);
    },
    state(): FakePlatformState {
      return JSON.parse(readFileSync(path.join(dir, "platforms.json"), "utf8")) as FakePlatformState;
    },
    /** Stops every server the fakes started (each is a process group leader), then removes the folder. */
    async stop(): Promise<void> {
      const pids = readLines("pids").map(Number).filter((pid) => processAlive(pid));
      for (const pid of pids) {
        try {
          process.kill(-pid, "SIGTERM");
        } catch {
          // Gone in the meantime.
        }
      }
      for (let waited = 0; waited < 6_000 && pids.some(processAlive); waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
      for (const pid of pids.filter(processAlive)) process.kill(-pid, "SIGKILL");
      folder.cleanup();
    },
  };
}

/** A call as `tool first second`, e.g. `netlify env:import` or `vercel env add`. */
export function describeCall(call: FakeCall): string {
  const [first = "", second = ""] = call.argv;
  const twoWords = (call.tool === "vercel" && (first === "project" || first === "env")) || (call.tool === "wrangler" && first === "secret");
  return `${call.tool} ${twoWords ? `${first} ${second}` : first}`;
}
