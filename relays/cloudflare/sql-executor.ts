/**
 * Adapts a Durable Object's `ctx.storage.sql` to the shared synchronous SQL executor, so the
 * worker's state runs the same SqlStore as self-host.
 */

import type { DurableObjectStorageLike, SqlStorageLike, SqlStorageValue } from "cloudflare:workers";
import type { SqlExecutor, SqlValue } from "../../shared/store/sql.ts";

/**
 * Wraps `sql` (`ctx.storage.sql`). Pass `storage` (`ctx.storage`) too to make multi-statement
 * writes one transaction via `transactionSync`; without it they are still applied together by
 * the Durable Object's write coalescing, but not rolled back if one fails.
 */
export function durableObjectSqlExecutor(
  sql: SqlStorageLike,
  storage?: Pick<DurableObjectStorageLike, "transactionSync">,
): SqlExecutor {
  const executor: SqlExecutor = {
    all(query, params) {
      // The cursor is lazy: read it to the end now, so the statement completes before returning.
      return sql.exec(query, ...params.map(toBinding)).toArray().map(fromRow);
    },
    run(query, params) {
      // Iterating to the end makes the statement run to completion (e.g. DELETE … RETURNING).
      for (const _row of sql.exec(query, ...params.map(toBinding)));
    },
  };
  if (storage) executor.transaction = (body) => storage.transactionSync(body);
  return executor;
}

function toBinding(value: SqlValue): SqlStorageValue {
  if (!(value instanceof Uint8Array)) return value;
  // Bindings take ArrayBuffer; copy so a view onto a larger buffer binds only its bytes.
  const copy = new Uint8Array(value.byteLength);
  copy.set(value);
  return copy.buffer;
}

function fromRow(row: Record<string, SqlStorageValue>): Record<string, SqlValue> {
  const result: Record<string, SqlValue> = {};
  for (const [column, value] of Object.entries(row)) {
    result[column] = value instanceof ArrayBuffer ? new Uint8Array(value) : value;
  }
  return result;
}
