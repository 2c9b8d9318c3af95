import type { TestContext } from "node:test";
import type { GatewayOptions } from "../../src/gateway/index.js";
import { TestClient } from "./client.js";
import {
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "./gateway.js";
import { RecordingUpstream } from "./recording-upstream.js";
import { waitFor } from "./wait-for.js";

/** Trade frames of the test feeds: `{"type":"trade","symbol":..,"n":..}`. */
export const TRADE_CODEC = {
  format: "json",
  topic: "trades.{/symbol}",
  data: "/",
  // Keeps the feed's error frames out of the topics.
  match: { "/type": "trade" },
};

/** The feed's own subscribe frame for `symbol`. */
export function subscribeFrame(symbol: string): Record<string, string> {
  return { op: "subscribe", symbol };
}

/** The feed's own unsubscribe frame for `symbol`. */
export function unsubscribeFrame(symbol: string): Record<string, string> {
  return { op: "unsubscribe", symbol };
}

/** A trade the feed publishes; `n` tells one from another. */
export function trade(symbol: string, n: number): Record<string, unknown> {
  return { type: "trade", symbol, n };
}

/** The `trades.*` rule every test feed shares. */
export const TRADES_RULE = {
  topics: "trades.*",
  subscribe: { op: "subscribe", symbol: "{2}" },
  unsubscribe: { op: "unsubscribe", symbol: "{2}" },
};

/** A source of `url` serving `trades.*` on demand; `onDemand` adds to it. */
export function onDemandSource(
  id: string,
  url: string,
  onDemand: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    url,
    reconnect: FAST_RECONNECT,
    codec: TRADE_CODEC,
    onDemand: { rules: [TRADES_RULE], ...onDemand },
    ...extra,
  };
}

/** What {@link startRig} starts; all of it closes when the test ends. */
export interface OnDemandRig {
  readonly upstream: RecordingUpstream;
  readonly gw: RunningGateway;
  /** A connected WebSocket client, closed when the test ends. */
  client(): Promise<TestClient>;
}

/** Options of {@link startRig}. */
export interface RigOptions {
  /** Added to the source's `onDemand` block. */
  readonly onDemand?: Record<string, unknown>;
  /** Added to the source itself (`subscribe` frames, say). */
  readonly source?: Record<string, unknown>;
  readonly gateway?: GatewayOptions;
}

/**
 * One recording upstream and a gateway with one on-demand source of it,
 * `vendor-a`, connected before this resolves. Everything is closed after
 * the test `t`.
 */
export async function startRig(
  t: TestContext,
  options: RigOptions = {},
): Promise<OnDemandRig> {
  const upstream = await new RecordingUpstream().start();
  const clients: TestClient[] = [];
  let gw: RunningGateway | undefined;
  // One hook, so that clients go first, then the gateway, then the feed.
  t.after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gw?.stop();
    await upstream.stop();
  });
  const source = onDemandSource(
    "vendor-a",
    upstream.url,
    options.onDemand,
    options.source,
  );
  const running = await startGateway({ sources: [source] }, options.gateway);
  gw = running;
  await waitFor("the source to connect", () => upstream.clients.size === 1);
  return {
    upstream,
    gw: running,
    client: async () => {
      const client = await TestClient.connect(running.wsUrl);
      clients.push(client);
      return client;
    },
  };
}

/** Waits until `client` got a message of `topic` with this `n`. */
export async function waitForTrade(
  client: TestClient,
  topic: string,
  n: number,
): Promise<void> {
  await waitFor(`${topic} #${n} at the client`, () =>
    client
      .messages()
      .some(
        (m) =>
          m.topic === topic && (m.data as { n?: unknown } | undefined)?.n === n,
      ),
  );
}

/**
 * Resolves at `at` (ms since the epoch): for asserting that something did
 * not happen, the wait has to be bounded by a deadline.
 */
export async function waitUntil(at: number): Promise<void> {
  await waitFor(
    `the clock to reach ${at}`,
    () => Date.now() >= at,
    at - Date.now() + 1000,
  );
}
