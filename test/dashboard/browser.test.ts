import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import {
  type AlphaFeed,
  demoConfig,
  startAlphaFeed,
  startBetaFeed,
  TradeTape,
} from "../../src/demo/index.js";
import { Gateway } from "../../src/gateway/index.js";
import { createSilentLogger } from "../../src/telemetry/index.js";
import { READ_TOKEN, TOKENS_AUTH } from "./helpers.js";

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

/** The demo's feeds and gateway, as `startDemo` builds them. */
interface TokenDemo {
  readonly alpha: AlphaFeed;
  /** `http://127.0.0.1:<port>` of the gateway, which serves `/`. */
  readonly base: string;
  stop(): Promise<void>;
}

/**
 * What `tributary demo` runs, with control tokens in its config, so the
 * page must ask for one: the demo itself configures no auth.
 */
async function startTokenDemo(): Promise<TokenDemo> {
  const tape = new TradeTape({});
  const alpha = await startAlphaFeed(tape, {});
  // No scheduled beta restart while the test looks.
  const beta = await startBetaFeed(tape, { restartEveryMs: 10 * 60_000 });
  const config = demoConfig(alpha.url, beta.url, 0);
  const gateway = new Gateway(
    { ...config, server: { ...config.server, grpcPort: 0 }, auth: TOKENS_AUTH },
    createSilentLogger(),
  );
  const { port } = await gateway.start();
  tape.start();
  return {
    alpha,
    base: `http://127.0.0.1:${port}`,
    async stop() {
      tape.stop();
      await gateway.stop();
      await Promise.all([alpha.close(), beta.close()]);
    },
  };
}

describe("dashboard in Chromium", { skip }, () => {
  let demo: TokenDemo;
  let http: { readonly base: string };
  let context: BrowserContext;
  let profile: string;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    // The gateway serves the dashboard on its own port, at `/`.
    demo = await startTokenDemo();
    http = demo;
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
