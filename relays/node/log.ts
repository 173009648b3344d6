/**
 * The self-host's log: one JSON line per entry on stdout, as `console.log` would write them, but
 * gathered and written once per turn of the event loop. A write per line is a system call per
 * upstream attempt (stdout to a pipe or file is synchronous on Linux), which under load cost more
 * than forming the line.
 */
import type { Logger } from "../../shared/app.ts";

let pending = "";

function flush(): void {
  if (pending.length === 0) return;
  const lines = pending;
  pending = "";
  process.stdout.write(lines);
}

process.once("exit", flush);

/** A Logger writing JSON lines to stdout, batched per event-loop turn and flushed at exit. */
export const batchedLog: Logger = (entry) => {
  if (pending.length === 0) setImmediate(flush);
  pending += `${JSON.stringify(entry)}\n`;
};
