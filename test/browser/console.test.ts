/**
 * Issue "admin", in a real browser: Debian's Chromium driven by playwright-core against the built
 * worker under workerd and the built self-host, both talking to the simulator. Logs in, adds keys
 * in bulk, sees them masked, checks them (the invalid key is disabled, the rate-limited one
 * kept), deletes the invalid one, creates and revokes an access key, and watches the usage charts
 * fill after traffic. Screenshots of every page go to test/browser/screenshots/ (git-ignored).
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositoryRoot } from "../../deploy/targets.ts";
import { startWorker } from "../helpers/chain.ts";
import { startSelfHost, temporaryDirectory } from "../helpers/process.ts";
import { GeminiSimulator } from "../sim/index.ts";
import { findChromium } from "../helpers/chromium.ts";

const adminKey = "admin-browser-test-0123456789";
const authKey = "sk-browser-auth-0123456789";
const encryptionKey = "browser-test-encryption-key-0123456789";
const screenshots = join(repositoryRoot, "test/browser/screenshots");

interface Target {
  url: string;
  /** Files holding the target's state, to prove keys are sealed at rest. */
  stateDirectory: string;
  /** What the target logged (self-host only; workerd's output goes to the test runner). */
  output(): string;
  stop(): Promise<unknown>;
}

const targets: [string, (env: Record<string, string>) => Promise<Target>][] = [
  [
    "self-host",
    async (env) => {
      const dataDir = temporaryDirectory();
      const child = await startSelfHost({ DATA_DIR: dataDir, KEYS_FILE: join(dataDir, "keys.txt"), ...env });
      return { url: child.url, stateDirectory: dataDir, output: child.output, stop: () => child.stop() };
    },
  ],
  [
    "worker",
    async (env) => {
      const persistRoot = temporaryDirectory("gemrelay-do-");
      const worker = await startWorker(env, persistRoot);
      return { url: worker.url, stateDirectory: persistRoot, output: () => "", stop: () => worker.stop() };
    },
  ],
];

const masked = (key: string) => `${key.slice(0, 4)}…${key.slice(-3)}`;

/** Every file below `directory`. */
function filesBelow(directory: string): string[] {
  return readdirSync(directory, { recursive: true })
    .map((name) => join(directory, String(name)))
    .filter((file) => statSync(file).isFile());
}

describe.each(targets)("console on %s", (name, startTarget) => {
  let sim: GeminiSimulator;
  let target: Target;
  let browser: BrowserContext;
  let page: Page;
  /** Everything the pages showed, for the leak check at the end. */
  const shown: string[] = [];

  const snapshot = async (label: string) => {
    shown.push(await page.content());
    await page.screenshot({ path: join(screenshots, `${name}-${label}.png`), fullPage: true });
  };
  const openPage = async (label: string, ready: string) => {
    await page.click(`nav button[data-page="${label}"]`);
    await page.waitForSelector(ready);
  };
  const generate = (key: string, model = "gemini-2.5-flash") =>
    fetch(`${target.url}/v1beta/models/${model}:generateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": key },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hello from the browser test" }] }] }),
    });

  beforeAll(async () => {
    const binary = await findChromium();
    mkdirSync(screenshots, { recursive: true });
    sim = await GeminiSimulator.start();
    target = await startTarget({
      ADMIN_KEY: adminKey,
      AUTH_KEY: authKey,
      GEMINI_UPSTREAM: sim.url,
      ENCRYPTION_KEY: encryptionKey,
      USAGE_FLUSH_MS: "100",
      POOL_REFRESH_MS: "500",
    });
    browser = await chromium.launchPersistentContext(temporaryDirectory("gemrelay-chromium-"), {
      executablePath: binary.executablePath,
      headless: true,
      args: [...new Set([...binary.args, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"])],
      viewport: { width: 1280, height: 900 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on("dialog", (dialog) => void dialog.accept());
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await target?.stop();
    await sim?.close();
  });

  it("logs in, manages keys and access keys, and shows usage, never showing a whole secret", async () => {
    const good = sim.createKeys(2);
    const invalid = sim.createKey("invalid");
    const limited = sim.createKey("rate-limit-minute");
    const pool = [good[0]!, invalid, limited, good[1]!];

    // Log in.
    await page.goto(`${target.url}/`);
    await page.waitForSelector("form.login input[name=adminKey]");
    await snapshot("login");
    await page.fill("input[name=adminKey]", "wrong-admin-key");
    await page.click("form.login button[type=submit]");
    await page.waitForSelector("form.login .error");
    await page.fill("input[name=adminKey]", adminKey);
    await page.click("form.login button[type=submit]");
    await page.waitForSelector("#keys-table");
    const cookies = await browser.cookies(target.url);
    expect(cookies.find((cookie) => cookie.name === "gemrelay_session")).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    expect(JSON.stringify(cookies)).not.toContain(adminKey);

    // Add keys in bulk (with a duplicate and a malformed line) and see them masked.
    await page.fill("#new-keys", [...pool, pool[0], "not a key"].join("\n"));
    await page.click("#add-keys");
    await page.waitForSelector("#keys-message .message");
    expect(await page.textContent("#keys-message")).toContain("Added 4");
    expect(await page.textContent("#keys-message")).toContain("1 duplicates");
    expect(await page.textContent("#keys-message")).toContain("1 rejected");
    expect(await page.locator("#keys-table tbody tr").count()).toBe(4);
    for (const key of pool) expect(await page.textContent("#keys-table")).toContain(masked(key));
    await snapshot("keys");

    // Check all keys: the invalid one is disabled, the rate-limited one stays active.
    await page.click("#check-keys");
    await page.waitForFunction(() => document.querySelector("#keys-message")?.textContent?.includes("Check finished"));
    const rowOf = (key: string) => page.locator("#keys-table tbody tr", { hasText: masked(key) });
    await expect.poll(() => rowOf(invalid).locator("td").nth(3).textContent()).toBe("disabled");
    expect(await rowOf(limited).locator("td").nth(3).textContent()).toBe("active");
    expect(await rowOf(limited).locator("td").nth(8).textContent()).toBe("quota-limited");
    expect(await rowOf(good[0]!).locator("td").nth(8).textContent()).toBe("valid");
    const summary = (await page.textContent("#keys-message")) ?? "";
    for (const part of ["2 valid", "1 invalid", "1 quota-limited"]) expect(summary).toContain(part);
    await snapshot("keys-checked");

    // Select the invalid keys and delete them (the confirmation is accepted).
    await page.click("#select-invalid");
    expect(await rowOf(invalid).locator("input[type=checkbox]").isChecked()).toBe(true);
    expect(await rowOf(limited).locator("input[type=checkbox]").isChecked()).toBe(false);
    await page.click("#delete-selected");
    await page.waitForFunction(() => document.querySelector("#keys-message")?.textContent?.includes("Deleted 1"));
    expect(await page.locator("#keys-table tbody tr").count()).toBe(3);
    expect(await page.textContent("#keys-table")).not.toContain(masked(invalid));

    // The keys page fits a phone screen: only the table scrolls sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(100);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
    await snapshot("keys-phone");
    await page.setViewportSize({ width: 1280, height: 900 });

    // Create an access key: the secret is shown once and works; after revoking it gets 401.
    await openPage("access", "#access-table");
    await page.fill("input[name=name]", "browser team");
    await page.fill("input[name=models]", "gemini-2.5-flash");
    await page.click("#create-access-key");
    await page.waitForSelector("#new-secret");
    const secret = (await page.textContent("#new-secret")) ?? "";
    expect(secret).toMatch(/^sk-gr-/);
    await snapshot("access-keys");
    expect((await generate(secret)).status).toBe(200);
    expect((await generate(secret, "gemini-2.5-pro")).status).toBe(403);
    await page.locator("#access-table tr", { hasText: "browser team" }).locator("button", { hasText: "Revoke" }).click();
    await page.waitForFunction(() => document.querySelector("#access-message")?.textContent?.includes("Revoked"));
    expect(await page.locator("#access-table tr", { hasText: "browser team" }).locator("td").nth(3).textContent()).toBe("revoked");
    expect(await page.textContent("body")).not.toContain(secret);
    await expect.poll(async () => (await generate(secret)).status, { timeout: 10_000 }).toBe(401);

    // Traffic with AUTH_KEY and a second access key; the usage charts fill.
    await openPage("access", "#access-table");
    await page.fill("input[name=name]", "second team");
    await page.click("#create-access-key");
    await page.waitForSelector("#new-secret");
    const second = (await page.textContent("#new-secret")) ?? "";
    for (let index = 0; index < 4; index++) {
      expect((await generate(authKey)).status).toBe(200);
      expect((await generate(second)).status).toBe(200);
    }
    await expect
      .poll(
        async () => {
          await openPage("usage", "svg[data-chart=requests]");
          return Number(await page.getAttribute("svg[data-chart=requests]", "data-total"));
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBeGreaterThanOrEqual(10);
    expect(Number(await page.getAttribute("svg[data-chart=tokens]", "data-total"))).toBeGreaterThan(0);
    expect(await page.locator("svg[data-chart=requests] rect").count()).toBeGreaterThan(0);
    expect(await page.textContent("#usage-by-access-key")).toContain("second team");
    expect(await page.textContent("#usage-by-access-key")).toContain("AUTH_KEY");
    expect(await page.textContent("#usage-by-model")).toContain("gemini-2.5-flash");
    await snapshot("usage");

    await openPage("requests", "#requests-table");
    expect(await page.locator("#requests-table tbody tr").count()).toBeGreaterThanOrEqual(10);
    expect(await page.textContent("#requests-table")).not.toContain("hello from the browser test");
    await snapshot("requests");

    await openPage("relays", "#relays-table");
    expect(await page.textContent("#relays-table")).toContain("direct");
    await snapshot("relays");

    // Operations (issue 9): cost, alert feed, and a policy edit whose mistake is named by field.
    await openPage("operations", "#model-policy-text");
    expect(await page.textContent("#cost")).toContain("gemini-2.5-flash");
    expect(await page.textContent("#alerts")).toContain("key-disabled");
    await page.fill("#budgets-text", JSON.stringify({ enabled: true, limits: { "gemini-2.5-flash": { rpm: "ten" } } }));
    await page.click("#budgets-save");
    await page.waitForSelector("section .message.error");
    expect(await page.textContent("section .message.error")).toContain("limits.gemini-2.5-flash.rpm");
    await page.fill("#budgets-text", JSON.stringify({ enabled: true, limits: { "gemini-2.5-flash": { rpm: 100 } } }));
    await page.click("#budgets-save");
    await page.waitForFunction(() => [...document.querySelectorAll("section .message")].some((node) => node.textContent === "Saved."));
    await openPage("operations", "#capacity");
    expect(await page.textContent("#capacity")).toContain("RPM");
    await snapshot("operations");

    // Log out: the console asks for the key again.
    await page.click("#logout");
    await page.waitForSelector("form.login");
    await snapshot("logged-out");

    // No page showed a whole pool key or the admin key (an access key's secret is shown once, on purpose).
    const pages = shown.join("\n");
    for (const value of [...pool, adminKey]) expect(pages.includes(value), "a page shows a whole secret").toBe(false);
    for (const value of [...pool, adminKey]) expect(target.output().includes(value), "a log line holds a whole secret").toBe(false);
    for (const file of filesBelow(target.stateDirectory)) {
      const bytes = readFileSync(file);
      for (const key of pool) expect(bytes.includes(key), `${file} holds a pool key in clear`).toBe(false);
    }
  }, 180_000);
});
