import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { createDashboard, type Dashboard } from "../../src/dashboard/index.js";
import { type Demo, startDemo } from "../../src/demo/index.js";
import { createSilentLogger } from "../../src/telemetry/index.js";
import { READ_TOKEN, serveDashboard, TOKENS_AUTH } from "./helpers.js";

/**
 * The little of the DOM that the functions run in the page use: this
 * project compiles without the DOM library, and they never run in Node.
 */
interface PageElement {
  readonly textContent: string | null;
  querySelector(selector: string): PageElement | null;
}
declare const document: {
  getElementById(id: string): PageElement | null;
  querySelector(selector: string): PageElement | null;
};

/** Debian's Chromium, as `.ci/run` installs it. */
const CHROMIUM = "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Where the screenshot goes: `test-output/` at the repository root. */
const OUTPUT_DIR = fileURLToPath(
  new URL("../../test-output/", import.meta.url),
);

const skip = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM}; install it with apt-get install chromium`;

/** The text of a source row's cell, as a person reads it. */
async function cell(page: Page, source: string, cls: string): Promise<string> {
  const text = await page
    .locator(`tr[data-source="${source}"] td.${cls}`)
    .textContent({ timeout: 1000 });
  return text ?? "";
}

/** The whole text of the element `selector`. */
async function textOf(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).textContent({ timeout: 1000 })) ?? "";
}

describe("dashboard in Chromium", { skip }, () => {
  let demo: Demo;
  let dashboard: Dashboard;
  let http: Awaited<ReturnType<typeof serveDashboard>>;
  let context: BrowserContext;
  let profile: string;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    demo = await startDemo({
      port: 0,
      logger: createSilentLogger(),
      // No scheduled beta restart while the test looks.
      betaRestartEveryMs: 10 * 60_000,
    });
    // The demo gateway does not route to the dashboard yet, so the test
    // serves it over the demo's control plane, with tokens required.
    dashboard = createDashboard({
      control: demo.gateway.control,
      auth: TOKENS_AUTH,
      logger: createSilentLogger(),
    });
    http = await serveDashboard(dashboard);
    profile = await mkdtemp(join(tmpdir(), "tributary-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 1000 },
    });
    page = await context.newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });
  });
  after(async () => {
    await context?.close();
    await rm(profile, { recursive: true, force: true });
    dashboard?.close();
    await http?.close();
    await demo?.stop();
  });

  it("refuses the page without a token", async () => {
    // A page of its own: the browser logs the 401 (and a favicon 404).
    const refused = await context.newPage();

    const res = await refused.goto(`${http.base}/`);

    assert.equal(res?.status(), 401);
    assert.match(await refused.content(), /needs a read or admin token/);
    await refused.close();
  });

  it("shows both demo sources up with live rates", async () => {
    const res = await page.goto(`${http.base}/?token=${READ_TOKEN}`);
    assert.equal(res?.status(), 200);

    await page.waitForFunction(
      () => document.getElementById("conn")?.textContent === "live",
      undefined,
      { timeout: 5000 },
    );
    await page.waitForFunction(
      () =>
        ["alpha", "beta"].every((id) => {
          const row = document.querySelector(`tr[data-source="${id}"]`);
          const rate = Number(row?.querySelector("td.rate")?.textContent);
          const state = row?.querySelector("td.state")?.textContent;
          return state === "up" && rate > 0;
        }),
      undefined,
      { timeout: 10_000 },
    );

    assert.equal(await cell(page, "alpha", "state"), "up");
    assert.ok(Number(await cell(page, "beta", "rate")) > 0);
    const topics = await page.locator("#graph [data-topic]").count();
    assert.ok(topics > 0, "the topic graph shows topics");
    assert.match(await textOf(page, "#tiles"), /2 \/ 2/);
  });

  it("marks a source down within seconds of its upstream stopping", async () => {
    const stoppedAt = Date.now();
    await demo.alpha.close();

    await page.waitForFunction(
      () =>
        document.querySelector('tr[data-source="alpha"] td.state')
          ?.textContent === "down",
      undefined,
      { timeout: 5000 },
    );

    const seconds = (Date.now() - stoppedAt) / 1000;
    assert.ok(seconds < 5, `marked down after ${seconds} s`);
    assert.equal(await cell(page, "beta", "state"), "up");
    assert.match(await textOf(page, "#events"), /alpha: up → /);
    // A snapshot after the event, so every table shows the new state.
    const updated = await textOf(page, "#updated");
    await page.waitForFunction(
      (before) => document.getElementById("updated")?.textContent !== before,
      updated,
      { timeout: 3000 },
    );
    await mkdir(OUTPUT_DIR, { recursive: true });
    await page.screenshot({
      path: join(OUTPUT_DIR, "dashboard.png"),
      fullPage: true,
    });
  });

  it("ran its script without errors", () => {
    assert.deepEqual(pageErrors, []);
  });
});
