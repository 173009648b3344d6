/** Load generation: autocannon for request rates and latency, raw SSE readers for streaming timing. */
import autocannon from "autocannon";

/** What one load run measured. */
export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

/** POSTs `body` to `url` from `connections` connections for `durationSeconds`. */
export async function runLoad(url: string, headers: Record<string, string>, body: string, connections: number, durationSeconds: number): Promise<LoadResult> {
  const result = await autocannon({ url, method: "POST", headers, body, connections, duration: durationSeconds });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

/** Arrival times (ms since the request was sent) of each SSE event of one streamed answer. */
export async function eventArrivals(url: string, headers: Record<string, string>, body: string): Promise<number[]> {
  const started = performance.now();
  const response = await fetch(url, { method: "POST", headers, body });
  if (!response.ok || !response.body) throw new Error(`stream failed: ${response.status} ${await response.text()}`);
  const arrivals: number[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    const now = performance.now() - started;
    buffer += decoder.decode(chunk, { stream: true });
    let boundary: RegExpExecArray | null;
    while ((boundary = /\r?\n\r?\n/.exec(buffer)) !== null) {
      const event = buffer.slice(0, boundary.index);
      buffer = buffer.slice(boundary.index + boundary[0].length);
      if (event.startsWith("data:")) arrivals.push(now);
    }
  }
  return arrivals;
}

/** Median of a list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/**
 * How late each event arrives against the simulator's fixed cadence: arrival of event i minus
 * (arrival of event 0 + i × interval). Compared between a path and direct, it is the delay the
 * path adds per event; a path that buffers shows it growing.
 */
export function cadenceLag(arrivals: readonly number[], intervalMs: number): number[] {
  const first = arrivals[0] ?? 0;
  return arrivals.map((arrival, index) => arrival - first - index * intervalMs).slice(1);
}
