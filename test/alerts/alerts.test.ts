/** Alert de-duplication, rate limiting, the exhausted-answer spike and payload formats, without the network. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { Alerts } from "../../shared/alerts/alerts.ts";
import type { AlertConfig } from "../../shared/alerts/config.ts";
import { alertPayload } from "../../shared/alerts/payload.ts";

const config: AlertConfig = { webhookUrl: "http://hook.test/x", format: "json", telegramChatId: undefined, repeatMs: 60_000, maxPerMinute: 2, capacityBelow: 0.25, exhaustedSpike: 3 };

describe("alerts", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("sends one alert per kind and subject per interval, and at most maxPerMinute", async () => {
    const calls: string[] = [];
    vi.stubGlobal("fetch", async (_url: string, init: RequestInit) => (calls.push(String(init.body)), new Response("ok")));
    let now = 1_000_000;
    const alerts = new Alerts(config, () => now, () => undefined);
    const tasks: Promise<unknown>[] = [];
    const background = (task: Promise<unknown>) => void tasks.push(task);
    for (let index = 0; index < 50; index++) alerts.raise({ kind: "key-disabled", subject: "AIza…abc", message: "m" }, background);
    alerts.raise({ kind: "relay-down", subject: "r1", message: "m" }, background);
    alerts.raise({ kind: "relay-down", subject: "r2", message: "m" }, background);
    await Promise.all(tasks);
    expect(calls).toHaveLength(2);
    expect(alerts.events().map((event) => [event.subject, event.sent, event.note])).toEqual([["r2", false, "rate-limited"], ["r1", true, undefined], ["AIza…abc", true, undefined]]);
    now += 61_000;
    alerts.raise({ kind: "key-disabled", subject: "AIza…abc", message: "again" }, background);
    await Promise.all(tasks);
    expect(calls).toHaveLength(3);
  });

  it("alerts on a spike of exhausted answers", () => {
    const alerts = new Alerts({ ...config, webhookUrl: undefined }, () => 5, () => undefined);
    alerts.exhaustedAnswer(() => undefined);
    alerts.exhaustedAnswer(() => undefined);
    expect(alerts.events()).toHaveLength(0);
    alerts.exhaustedAnswer(() => undefined);
    expect(alerts.events()).toEqual([expect.objectContaining({ kind: "resume-exhausted-spike", sent: false, note: "no-webhook" })]);
  });

  it("shapes payloads for Slack, Discord, Telegram and generic JSON", () => {
    const event = { kind: "relay-down", subject: "r", message: "circuit open", at: 0 };
    expect(alertPayload(event, { format: "slack", telegramChatId: undefined })).toEqual({ text: "[gemrelay] relay-down: circuit open" });
    expect(alertPayload(event, { format: "discord", telegramChatId: undefined })).toEqual({ content: "[gemrelay] relay-down: circuit open" });
    expect(alertPayload(event, { format: "telegram", telegramChatId: "42" })).toEqual({ chat_id: "42", text: "[gemrelay] relay-down: circuit open" });
    expect(alertPayload(event, { format: "json", telegramChatId: undefined })).toMatchObject({ source: "gemrelay", kind: "relay-down", time: "1970-01-01T00:00:00.000Z" });
  });
});
