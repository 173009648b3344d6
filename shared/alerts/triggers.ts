/** Where the scheduler and the resume seam raise alerts: the conditions, kept out of their code paths. */
import type { AppContext } from "../app.ts";
import type { Background } from "../routing/pool-view.ts";
import { usableKeys } from "../routing/scheduler.ts";
import { maskSecret } from "../secrets.ts";

/** A pool key was disabled (invalid, suspended, leaked); then checks the model's capacity. */
export function keyDisabled(context: AppContext, key: string, reason: string, model: string, background: Background): void {
  context.alerts.raise({ kind: "key-disabled", subject: maskSecret(key), message: `Pool key ${maskSecret(key)} was disabled: ${reason}.`, details: { reason } }, background);
  capacityCheck(context, model, background);
}

/** A relay attempt failed: alert once its circuit is open (a region refusal says so). */
export function relayFailed(context: AppContext, relay: string, reason: string, background: Background): void {
  if (/location/i.test(reason)) {
    context.alerts.raise({ kind: "region-refused", subject: relay, message: `Gemini refused the region of relay ${relay} (${reason}).`, details: { reason } }, background);
  }
  if (!context.relayHealth.isClosed(relay)) {
    context.alerts.raise({ kind: "relay-down", subject: relay, message: `The circuit of relay ${relay} opened: ${reason}.`, details: { reason } }, background);
  }
}

/** After a key left the rotation for `model`: alert when the share of keys still serving it is under the threshold. */
export function capacityCheck(context: AppContext, model: string, background: Background): void {
  if (model === "*") return;
  background(
    context.pool.current(background).then((snapshot) => {
      const total = snapshot.keys.length;
      if (total === 0) return;
      const serving = usableKeys(snapshot, model, context.clock(), new Set()).length;
      if (serving / total < context.alerts.config.capacityBelow) {
        context.alerts.raise({ kind: "capacity-low", subject: model, message: `Only ${serving} of ${total} pool keys can serve ${model}.`, details: { serving, total } }, background);
      }
    }),
  );
}
