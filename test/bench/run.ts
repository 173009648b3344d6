/**
 * `npm run bench`: what gemrelay adds on the hot path, measured against the simulator on
 * loopback in the same run — throughput and latency per path, streaming delay per event, 1,000
 * concurrent streams, resume latency, bundle sizes. Prints a table, writes test/bench/results.json.
 * BENCH_DURATION (seconds per load run, default 8) and BENCH_STREAMS (default 1000) tune it.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { buildAll, type BuildArtifact } from "../../deploy/build.ts";
import { startDevChain } from "../../deploy/dev.ts";
import { loadManifest, parseManifest } from "../../deploy/manifest.ts";
import { repositoryRoot } from "../../deploy/targets.ts";
import { startSelfHost, temporaryDirectory } from "../helpers/process.ts";
import { cadenceLag, eventArrivals, median, runLoad, type LoadResult } from "./load.ts";
import { control, residentBytes, startSimulatorProcess } from "./processes.ts";

const durationSeconds = Number(process.env.BENCH_DURATION ?? 8);
const streamCount = Number(process.env.BENCH_STREAMS ?? 1000);
const connections = 32;
const accessKey = "sk-bench-0123456789abcdef0123";
const adminKey = "admin-bench-0123456789abcdef";
const relayToken = "relay-bench-0123456789abcdef";
const model = "gemini-2.5-flash";
/** The streaming measurements' model, so that their paced faults match only them. */
const streamModel = "gemini-2.5-flash-lite";
const requestBody = JSON.stringify({ contents: [{ role: "user", parts: [{ text: "benchmark request" }] }] });
const streamIntervalMs = 20;
const longAnswer = "The quick brown fox jumps over the lazy dog. ".repeat(22); // ≈ 42 events of 24 characters

interface PathUnderTest {
  name: string;
  base: string;
  key: string;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function main(): Promise<void> {
  log("building bundles…");
  const artifacts: BuildArtifact[] = (await buildAll({ manifest: await loadManifest(path.join(repositoryRoot, "deploy/manifest.yaml")) })).artifacts;

  const sim = await startSimulatorProcess({ chunkChars: 24, intervalMs: 0 });
  const dataDir = temporaryDirectory("gemrelay-bench-");
  const selfHost = await startSelfHost({ GEMINI_API_KEYS: sim.key, AUTH_KEY: accessKey, ADMIN_KEY: adminKey, DATA_DIR: dataDir, KEYS_FILE: path.join(dataDir, "keys.txt"), GEMINI_UPSTREAM: sim.url });
  const chain = await startDevChain({
    manifest: parseManifest({ name: "bench", worker: { name: "bench" }, relays: [{ id: "nf", platform: "netlify", region: "cmh" }] }),
    port: 0,
    outDir: temporaryDirectory("gemrelay-bench-dist-"),
    stateDir: temporaryDirectory("gemrelay-bench-state-"),
    log: () => undefined,
    env: { GEMINI_API_KEYS: sim.key, AUTH_KEY: accessKey, ADMIN_KEY: adminKey, RELAY_TOKEN: relayToken, GEMINI_UPSTREAM: sim.url },
  });

  const paths: PathUnderTest[] = [
    { name: "direct (simulator)", base: sim.url, key: sim.key },
    { name: "self-host", base: selfHost.url, key: accessKey },
    { name: "local chain (workerd → relay)", base: chain.workerUrl, key: accessKey },
  ];
  const headersFor = (target: PathUnderTest) => ({ "content-type": "application/json", "x-goog-api-key": target.key });

  try {
    // 1. Non-streaming throughput and latency at 32 connections.
    const load: Record<string, LoadResult> = {};
    for (const target of paths) {
      const url = `${target.base}/v1beta/models/${model}:generateContent`;
      await runLoad(url, headersFor(target), requestBody, connections, 1); // warm-up
      log(`load: ${target.name}…`);
      load[target.name] = await runLoad(url, headersFor(target), requestBody, connections, durationSeconds);
      await control(sim.url, "reset", {});
    }

    // 2. Streaming: time to first byte and lag against the simulator's 20 ms cadence.
    await control(sim.url, "answer", { text: longAnswer });
    const streaming: Record<string, { ttfbMs: number; lagMs: number; events: number }> = {};
    for (const target of paths) {
      log(`streaming: ${target.name}…`);
      // Matched by model: late requests of the load runs (same key, other model) cannot take it.
      await control(sim.url, "fault", { fault: { kind: "pace", intervalMs: streamIntervalMs, times: 10 }, match: { model: streamModel } });
      const ttfb: number[] = [];
      const lags: number[] = [];
      let events = 0;
      for (let index = 0; index < 10; index++) {
        const arrivals = await eventArrivals(`${target.base}/v1beta/models/${streamModel}:streamGenerateContent?alt=sse`, headersFor(target), requestBody);
        ttfb.push(arrivals[0] ?? Number.NaN);
        lags.push(...cadenceLag(arrivals, streamIntervalMs));
        events = arrivals.length;
      }
      streaming[target.name] = { ttfbMs: median(ttfb), lagMs: median(lags), events };
    }

    // 3. Resume: a stream cut cleanly (no finishReason) after some text; with no pacing, the longest
    // gap between two events the client sees is the time from the cut to the first continued byte.
    const resume: Record<string, number> = {};
    for (const target of paths.slice(1)) {
      log(`resume: ${target.name}…`);
      const gaps: number[] = [];
      for (let index = 0; index < 10; index++) {
        await control(sim.url, "fault", { fault: { kind: "cut", afterChars: 240, mode: "close" }, match: { model: streamModel } });
        const arrivals = await eventArrivals(`${target.base}/v1beta/models/${streamModel}:streamGenerateContent?alt=sse`, headersFor(target), requestBody);
        gaps.push(Math.max(...arrivals.slice(1).map((at, event) => at - (arrivals[event] ?? at))));
      }
      resume[target.name] = median(gaps);
    }

    // 4. Concurrency: many open streams through the self-host at once.
    log(`concurrency: ${streamCount} streams through the self-host…`);
    await control(sim.url, "fault", { fault: { kind: "pace", intervalMs: 100, times: streamCount } });
    const serverPid = selfHost.process.pid ?? 0;
    const baseline = residentBytes(serverPid);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, residentBytes(serverPid))), 50);
    const outcomes = await Promise.allSettled(
      Array.from({ length: streamCount }, () => eventArrivals(`${selfHost.url}/v1beta/models/${model}:streamGenerateContent?alt=sse`, headersFor(paths[1]!), requestBody)),
    );
    clearInterval(sampler);
    const completed = outcomes.filter((outcome) => outcome.status === "fulfilled" && outcome.value.length > 1).length;
    const concurrency = { streams: streamCount, completed, baselineMb: baseline / 2 ** 20, peakMb: peak / 2 ** 20, perStreamKb: (peak - baseline) / streamCount / 1024 };
    await control(sim.url, "reset", {});

    // 5. Bundle sizes.
    const bundles = artifacts.map((artifact) => ({ target: artifact.target, bytes: artifact.bytes, gzipBytes: artifact.gzipBytes }));

    const direct = load[paths[0]!.name]!;
    const self = load[paths[1]!.name]!;
    const targets = {
      "self-host adds < 1 ms at p50": self.p50Ms - direct.p50Ms < 1,
      "self-host adds < 5 ms at p99": self.p99Ms - direct.p99Ms < 5,
      "self-host keeps ≥ 50% of direct's rate": self.requestsPerSecond / direct.requestsPerSecond >= 0.5,
      "added delay per streamed event < 1 ms at p50": streaming[paths[1]!.name]!.lagMs - streaming[paths[0]!.name]!.lagMs < 1,
      "1,000 streams under 200 MB RSS, all completed": concurrency.peakMb < 200 && completed === streamCount,
      // The upstream's own time to first byte is the direct stream's.
      "resume adds < 50 ms plus the upstream's first byte": (resume[paths[1]!.name] ?? Infinity) < 50 + streaming[paths[0]!.name]!.ttfbMs,
    };
    const results = { date: new Date().toISOString(), durationSeconds, connections, load, streaming, resume, concurrency, bundles, targets };
    writeFileSync(path.join(repositoryRoot, "test/bench/results.json"), JSON.stringify(results, null, 2) + "\n");
    printTable(results, direct);
  } finally {
    await chain.close();
    await selfHost.stop();
    await sim.stop();
  }
}

function printTable(
  results: {
    load: Record<string, LoadResult>;
    streaming: Record<string, { ttfbMs: number; lagMs: number; events: number }>;
    resume: Record<string, number>;
    concurrency: Record<string, number>;
    bundles: { target: string; bytes: number; gzipBytes: number }[];
    targets: Record<string, boolean>;
  },
  direct: LoadResult,
): void {
  const rows: string[][] = [["path", "req/s", "× direct", "p50 ms", "p99 ms", "errors", "stream TTFB ms", "lag/event ms", "resume ms"]];
  for (const [name, result] of Object.entries(results.load)) {
    const stream = results.streaming[name];
    rows.push([
      name,
      result.requestsPerSecond.toFixed(0),
      (result.requestsPerSecond / direct.requestsPerSecond).toFixed(2),
      String(result.p50Ms),
      String(result.p99Ms),
      String(result.errors + result.non2xx),
      stream ? stream.ttfbMs.toFixed(1) : "",
      stream ? stream.lagMs.toFixed(2) : "",
      results.resume[name]?.toFixed(1) ?? "",
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length)));
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join("  "));
  const c = results.concurrency;
  console.log(`\nconcurrency: ${c.completed}/${c.streams} streams completed, RSS ${c.baselineMb!.toFixed(0)} → ${c.peakMb!.toFixed(0)} MB (${c.perStreamKb!.toFixed(1)} KB per stream)`);
  console.log("\nbundles:");
  for (const bundle of results.bundles) console.log(`  ${bundle.target.padEnd(14)} ${(bundle.bytes / 1024).toFixed(1).padStart(8)} KiB  gzip ${(bundle.gzipBytes / 1024).toFixed(1).padStart(7)} KiB`);
  console.log("\ntargets:");
  for (const [target, met] of Object.entries(results.targets)) console.log(`  ${met ? "met " : "MISS"}  ${target}`);
}

await main();
