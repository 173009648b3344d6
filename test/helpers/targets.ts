/**
 * The two built resume-worker targets end-to-end suites run the same scenarios on: the self-host
 * bundle under Node and the worker bundle under workerd (use with `describe.each`).
 */
import { join } from "node:path";
import { startWorker } from "./chain.ts";
import { startSelfHost, temporaryDirectory } from "./process.ts";

/** A running resume worker. */
export interface Target {
  url: string;
  stop(): Promise<unknown>;
}

/** Starts a target with `env` as its environment. */
export type TargetFactory = (env: Record<string, string>) => Promise<Target>;

/** `[name, factory]` pairs for `describe.each`. */
export const resumeWorkerTargets: [string, TargetFactory][] = [
  [
    "self-host",
    (env) => {
      const dataDir = temporaryDirectory();
      return startSelfHost({ DATA_DIR: dataDir, KEYS_FILE: join(dataDir, "keys.txt"), ...env });
    },
  ],
  ["worker under workerd", (env) => startWorker(env)],
];
