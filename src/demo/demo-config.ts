import type { SourceConfig } from "../config/index.js";
import { type Config, parseConfig } from "../config/index.js";
import { ALPHA_API_KEY } from "./alpha-feed.js";
import { BETA_SUBSCRIBE } from "./beta-feed.js";

/** Codec of the alpha feed: one trade a frame, flat short names. */
export const ALPHA_CODEC: SourceConfig["codec"] = {
  format: "json",
  match: { "/type": "trade" },
  topic: "trades.{/symbol}",
  id: "/tradeId",
  seq: "/seq",
  time: "/ts",
  timeUnit: "ms",
  key: "/symbol",
  data: {
    tradeId: "/tradeId",
    symbol: "/symbol",
    price: "/p",
    qty: "/q",
    side: "/side",
  },
};

/** Codec of the beta feed: batches, nested codes, ISO times. */
export const BETA_CODEC: SourceConfig["codec"] = {
  format: "json",
  match: { "/channel": "trades" },
  each: "/data",
  topic: "trades.{/instrument/code}",
  id: "/id",
  seq: "/sequence",
  time: "/timestamp",
  timeUnit: "ms",
  key: "/instrument/code",
  data: {
    tradeId: "/id",
    symbol: "/instrument/code",
    price: "/price",
    qty: "/size",
    side: "/taker",
  },
};

/**
 * The gateway config of the demo: both feeds in one active-active group
 * that keeps the first copy of each trade id.
 */
export function demoConfig(
  alphaUrl: string,
  betaUrl: string,
  port: number,
): Config {
  return parseConfig({
    server: { host: "127.0.0.1", port },
    sources: [
      {
        id: "alpha",
        url: alphaUrl,
        headers: { "x-api-key": ALPHA_API_KEY },
        heartbeat: { type: "ping", intervalMs: 5000 },
        staleAfterMs: 10_000,
        reconnect: { initialDelayMs: 200, maxDelayMs: 5000 },
        codec: ALPHA_CODEC,
      },
      {
        id: "beta",
        url: betaUrl,
        subscribe: [BETA_SUBSCRIBE],
        heartbeat: { type: "ping", intervalMs: 5000 },
        staleAfterMs: 10_000,
        reconnect: { initialDelayMs: 200, maxDelayMs: 5000 },
        codec: BETA_CODEC,
      },
    ],
    groups: [
      {
        id: "trades",
        mode: "active-active",
        sources: ["alpha", "beta"],
        dedupe: { by: "id", window: 20_000 },
      },
    ],
  });
}
