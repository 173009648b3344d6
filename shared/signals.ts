/** Abort signals without AbortSignal.any, whose Node 20 implementation costs ~3× throughput (`npm run bench`). */

/** A signal that aborts when either input does; the inputs' own lifetimes bound the listeners. */
export function eitherSignal(first: AbortSignal | undefined, second: AbortSignal | undefined): AbortSignal | undefined {
  if (!first || !second || first === second) return first ?? second;
  if (first.aborted) return first;
  if (second.aborted) return second;
  const controller = new AbortController();
  const abort = (source: AbortSignal) => () => {
    controller.abort(source.reason);
    first.removeEventListener("abort", fromFirst);
    second.removeEventListener("abort", fromSecond);
  };
  const fromFirst = abort(first);
  const fromSecond = abort(second);
  first.addEventListener("abort", fromFirst, { once: true });
  second.addEventListener("abort", fromSecond, { once: true });
  return controller.signal;
}
