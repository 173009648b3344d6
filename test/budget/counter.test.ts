/**
 * The budget counters follow the same rules: this process's ledger (self-host, and inside the
 * Durable Object) and the Redis one shared by several self-host instances (a Lua script on a real
 * redis-server). Times are passed in, so minutes and Pacific days are crossed without waiting.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledgerCounter, type BudgetCounter } from "../../shared/budget/counter.ts";
import { BudgetLedger } from "../../shared/budget/ledger.ts";
import { nextPacificMidnight } from "../../shared/gemini/classify.ts";
import { redisBudgetCounter } from "../../relays/node/redis-budgets.ts";
import { startRedis, type RedisServer } from "../helpers/redis.ts";

const start = Date.parse("2026-03-07T12:00:00Z");

let server: RedisServer;
const clients: Redis[] = [];

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await server?.stop();
});

async function redisCounter(): Promise<BudgetCounter> {
  const client = new Redis(server.url);
  clients.push(client);
  await new Promise((resolve) => client.once("ready", resolve));
  return redisBudgetCounter(client, `test-${clients.length}`);
}

describe.each([
  ["the process ledger", async () => ledgerCounter()],
  ["Redis", redisCounter],
])("budget counter: %s", (_name, open) => {
  it("takes rpm requests within a minute, then names the slot when the oldest ages out", async () => {
    const counter = await open();
    expect(await counter.reserve("key:a", "m", { rpm: 2 }, start)).toBe(start);
    expect(await counter.reserve("key:a", "m", { rpm: 2 }, start + 10_000)).toBe(start + 10_000);
    expect(await counter.reserve("key:a", "m", { rpm: 2 }, start + 20_000)).toBe(start + 60_000);
    // A refusal counts nothing; another unit or model is separate.
    expect(await counter.read("key:a", "m", { rpm: 2 }, start + 20_000)).toEqual({ minute: 2, day: 2, tokensMinute: 0, nextSlot: start + 60_000 });
    expect(await counter.reserve("key:b", "m", { rpm: 2 }, start + 20_000)).toBe(start + 20_000);
    expect(await counter.reserve("key:a", "other", { rpm: 2 }, start + 20_000)).toBe(start + 20_000);
    expect(await counter.reserve("key:a", "m", { rpm: 2 }, start + 60_000)).toBe(start + 60_000);
    expect(await counter.reserve("key:a", "m", { rpm: 0 }, start + 61_000)).toBe(start + 121_000);
    expect((await counter.models()).sort()).toEqual(["m", "other"]);
  });

  it("stops a unit at rpd until the next Pacific midnight, then starts a new day", async () => {
    const counter = await open();
    const midnight = nextPacificMidnight(start);
    for (let index = 0; index < 3; index++) expect(await counter.reserve("group:p", "m", { rpd: 3 }, start + index * 61_000)).toBe(start + index * 61_000);
    expect(await counter.reserve("group:p", "m", { rpd: 3 }, start + 300_000)).toBe(midnight);
    expect(await counter.reserve("group:p", "m", { rpd: 3 }, midnight)).toBe(midnight);
    expect((await counter.read("group:p", "m", { rpd: 3 }, midnight + 1)).day).toBe(1);
  });

  it("holds a unit back while the minute's input tokens exceed tpm", async () => {
    const counter = await open();
    expect(await counter.reserve("key:t", "m", { tpm: 100 }, start)).toBe(start);
    await counter.spendTokens("key:t", "m", 70, start + 1_000);
    await counter.spendTokens("key:t", "m", 50, start + 2_000);
    expect((await counter.read("key:t", "m", { tpm: 100 }, start + 3_000)).tokensMinute).toBe(120);
    // Dropping the first entry (70) brings the total under 100: the slot is when it ages out.
    expect(await counter.reserve("key:t", "m", { tpm: 100 }, start + 3_000)).toBe(start + 61_000);
    expect(await counter.reserve("key:t", "m", { tpm: 100 }, start + 61_000)).toBe(start + 61_000);
  });

  it("never lets concurrent reservations take more than the budget", async () => {
    const counter = await open();
    const results = await Promise.all(Array.from({ length: 50 }, () => counter.reserve("key:c", "m", { rpm: 7 }, start)));
    expect(results.filter((slot) => slot === start)).toHaveLength(7);
  });
});

describe("the process ledger's day counts", () => {
  it("survive a restart through days() and restoreDays() (the Durable Object keeps them in storage)", () => {
    const ledger = new BudgetLedger();
    ledger.spend("key:a", "m", start);
    ledger.spend("key:a", "m", start + 1_000);
    const restored = new BudgetLedger();
    restored.restoreDays(JSON.parse(JSON.stringify(ledger.days())) as ReturnType<BudgetLedger["days"]>);
    expect(restored.spent("key:a", "m", start + 120_000)).toEqual({ minute: 0, day: 2, tokensMinute: 0 });
    expect(restored.nextSlot("key:a", "m", { rpd: 2 }, start + 120_000)).toBe(nextPacificMidnight(start));
  });
});
