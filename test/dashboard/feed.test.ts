import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { Subject } from "rxjs";
import { WebSocket } from "ws";
import type { Dashboard } from "../../src/dashboard/index.js";
import {
  createDashboardAuth,
  DASHBOARD_SUBPROTOCOL,
  DashboardFeed,
  type DashboardMessage,
} from "../../src/dashboard/index.js";
import type { GatewayEvent } from "../../src/gateway/index.js";
import { createSilentLogger } from "../../src/telemetry/index.js";
import { waitFor } from "../support/wait-for.js";
import { NO_AUTH, serveDashboard, sourceView } from "./helpers.js";

/** A feed over one fixed source and an event stream the test drives. */
function feedOf(events: Subject<GatewayEvent>): DashboardFeed {
  return new DashboardFeed({
    control: {
      listSources: () => [sourceView("a", { frames: 3, frameRate: 1 })],
      listGroups: () => [],
      listTopics: () => [],
      listClients: () => [],
      events,
    },
    auth: createDashboardAuth(NO_AUTH),
    logger: createSilentLogger(),
    // Never ticks by itself during a test: the tests call tick().
    intervalMs: 60_000,
    historySamples: 3,
  });
}

/** Only the upgrade half of a dashboard, served by the test helper. */
function upgradeOnly(feed: DashboardFeed): Dashboard {
  return {
    handleHttp: () => false,
    handleUpgrade: (req, socket, head) => feed.handleUpgrade(req, socket, head),
    feed,
    close: () => feed.close(),
  };
}

describe("DashboardFeed", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function open(feed: DashboardFeed) {
    const http = await serveDashboard(upgradeOnly(feed));
    cleanup.push(() => http.close());
    const url = `${http.base.replace("http", "ws")}/dashboard/live`;
    const ws = new WebSocket(url, [DASHBOARD_SUBPROTOCOL]);
    cleanup.push(() => ws.terminate());
    const messages: DashboardMessage[] = [];
    ws.on("message", (data) => messages.push(JSON.parse(data.toString())));
    await new Promise((resolve) => ws.once("open", resolve));
    return { ws, messages };
  }

  it("keeps only historySamples rate samples for new viewers", async () => {
    const events = new Subject<GatewayEvent>();
    const feed = feedOf(events);
    cleanup.push(() => feed.close());
    for (let i = 0; i < 5; i++) feed.tick(1000 * i);

    const { messages } = await open(feed);
    await waitFor("the hello", () => messages.length > 0);

    const hello = messages[0];
    assert.equal(hello.type, "hello");
    assert.deepEqual(
      hello.type === "hello" && hello.history.map((s) => s.at),
      [2000, 3000, 4000],
    );
  });

  it("forwards events and replays recent ones to a late viewer", async () => {
    const events = new Subject<GatewayEvent>();
    const feed = feedOf(events);
    cleanup.push(() => feed.close());
    const change = {
      type: "source" as const,
      source: "a",
      change: "paused" as const,
      at: 1,
    };
    events.next(change);

    const { messages } = await open(feed);
    events.next({ ...change, change: "resumed", at: 2 });
    await waitFor("the pushed event", () =>
      messages.some((m) => m.type === "event"),
    );

    const hello = messages.find((m) => m.type === "hello");
    assert.deepEqual(hello?.type === "hello" && hello.events, [change]);
    const pushed = messages.find((m) => m.type === "event");
    assert.equal(pushed?.type === "event" && pushed.event.at, 2);
  });

  it("leaves other paths to the caller", async () => {
    const feed = feedOf(new Subject<GatewayEvent>());
    cleanup.push(() => feed.close());
    const http = await serveDashboard(upgradeOnly(feed));
    cleanup.push(() => http.close());

    const ws = new WebSocket(`${http.base.replace("http", "ws")}/ws`);
    // Refused before it opened: terminating it then reports an error.
    ws.on("error", () => {});
    const status = await new Promise<number>((resolve) =>
      ws.once("unexpected-response", (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        ws.terminate();
      }),
    );

    assert.equal(status, 404, "the helper's fallback answered");
  });

  it("closes viewers with 1001 and stops listening to events", async () => {
    const events = new Subject<GatewayEvent>();
    const feed = feedOf(events);
    const { ws } = await open(feed);
    const closed = new Promise<number>((resolve) =>
      ws.once("close", (code) => resolve(code)),
    );

    feed.close();

    assert.equal(await closed, 1001);
    assert.equal(events.observed, false, "unsubscribed from events");
  });
});
