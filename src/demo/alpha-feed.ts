import type { WebSocketServer } from "ws";
import { closeWs, listenWs, wsUrl } from "./feed-server.js";
import type { Trade, TradeTape } from "./trade-tape.js";

/** The API key the alpha feed wants in an `x-api-key` header. */
export const ALPHA_API_KEY = "demo-key";

/** Options of {@link startAlphaFeed}. */
export interface AlphaFeedOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Share of trades this feed silently leaves out; default 0.08. */
  readonly skipRate?: number;
  /** Interval of `{"type":"heartbeat"}` frames; default 2000 ms. */
  readonly heartbeatMs?: number;
}

/** A running alpha feed. */
export interface AlphaFeed {
  readonly url: string;
  /** Trade ids this feed skipped, so a test can check the merge. */
  readonly skipped: ReadonlySet<string>;
  close(): Promise<void>;
}

/**
 * The "alpha" vendor: one flat JSON object per trade, short field names,
 * epoch-millisecond times, an API key in a header, and some trades that
 * never arrive.
 */
export async function startAlphaFeed(
  tape: TradeTape,
  options: AlphaFeedOptions = {},
): Promise<AlphaFeed> {
  const skipRate = options.skipRate ?? 0.08;
  const skipped = new Set<string>();
  const wss = await listenWs(options.port ?? 0, {
    verifyClient: (info, done) => {
      const key = info.req.headers["x-api-key"];
      if (key === ALPHA_API_KEY) done(true);
      else done(false, 401, "missing or wrong x-api-key");
    },
  });

  const stopTape = tape.onTrade((trade) => {
    if (Math.random() < skipRate) {
      skipped.add(trade.tradeId);
      return;
    }
    broadcast(wss, JSON.stringify(alphaFrame(trade)));
  });
  const heartbeat = setInterval(
    () => broadcast(wss, '{"type":"heartbeat"}'),
    options.heartbeatMs ?? 2000,
  );

  return {
    url: wsUrl(wss, "/v1/stream"),
    skipped,
    async close() {
      stopTape();
      clearInterval(heartbeat);
      await closeWs(wss);
    },
  };
}

/** The alpha wire format of one trade. */
export function alphaFrame(trade: Trade): Record<string, unknown> {
  return {
    type: "trade",
    symbol: trade.symbol,
    tradeId: trade.tradeId,
    seq: trade.seq,
    ts: trade.time,
    p: trade.price,
    q: trade.qty,
    side: trade.side,
  };
}

function broadcast(wss: WebSocketServer, frame: string): void {
  for (const client of wss.clients) client.send(frame);
}
