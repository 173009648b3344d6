/**
 * The two built resume-worker targets for the admin security suites, each able to send a request
 * "from" a client address the way its platform learns it: on the self-host through a trusted
 * proxy (TRUSTED_PROXIES=127.0.0.1, which appends the client to X-Forwarded-For), on the worker
 * through Cloudflare's cf-connecting-ip (miniflare keeps the one a test sends).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startWorker } from "../helpers/chain.ts";
import { startSelfHost, temporaryDirectory, type Child } from "../helpers/process.ts";
import type { Target } from "../helpers/targets.ts";

export const adminKey = "admin-security-0123456789abcdef";
export const accessKey = "sk-security-access-0123456789";

/** Headers naming the client `address` (on top of `extra`). */
export interface AdminTarget {
  from(address: string, extra?: Record<string, string>): Record<string, string>;
  /** The process id of the self-host (for its memory), absent on the worker. */
  pid?: number;
}

/** Forwarding headers a client makes up; `seed` varies them from request to request. */
export function forgedHeaders(seed: number): Record<string, string> {
  return { "x-forwarded-for": `10.${seed % 250}.0.1`, "x-real-ip": `172.16.${seed % 250}.1`, forwarded: `for=192.0.2.${seed % 250}` };
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

const base = { ADMIN_KEY: adminKey, AUTH_KEY: accessKey };

/** `[name, start]` pairs for describe.each; `env` is added to the defaults. */
export const adminTargets: [string, (env: Record<string, string>) => Promise<Target & AdminTarget & { output(): string }>][] = [
  [
    "self-host",
    async (env) => {
      const dataDir = temporaryDirectory();
      const child: Child & { url: string } = await startSelfHost({ DATA_DIR: dataDir, KEYS_FILE: join(dataDir, "keys.txt"), TRUSTED_PROXIES: "127.0.0.1", ...base, ...env });
      return Object.assign(child, {
        pid: child.process.pid,
        // The trusted proxy appends the address it saw to whatever the client sent.
        from: (address: string, extra: Record<string, string> = {}) => ({ ...extra, "x-forwarded-for": `${extra["x-forwarded-for"] ?? "198.18.0.1"}, ${address}` }),
      });
    },
  ],
  [
    "worker under workerd",
    async (env) => {
      let output = "";
      const worker = await startWorker({ ...base, ...env }, undefined, (text) => (output += text));
      return Object.assign(worker, { output: () => output, from: (address: string, extra: Record<string, string> = {}) => ({ ...extra, "cf-connecting-ip": address }) });
    },
  ],
];

/** Resident memory of a process in bytes (Linux). */
export function residentBytes(pid: number): number {
  const kilobytes = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kilobytes) * 1024;
}
