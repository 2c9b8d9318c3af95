import type { WebSocket, WebSocketServer } from "ws";
import { closeWs, listenWs, wsUrl } from "./feed-server.js";
import type { Trade, TradeTape } from "./trade-tape.js";

/** The frame a client sends to receive beta's trades. */
export const BETA_SUBSCRIBE = { op: "subscribe", channel: "trades" };

/** Options of {@link startBetaFeed}. */
export interface BetaFeedOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Trades are sent in batches this often; default 100 ms. */
  readonly batchMs?: number;
  /** Drops every client this often to simulate a restart; default 15 s. */
  readonly restartEveryMs?: number;
  /** How long a restart refuses new connections; default 1 s. */
  readonly restartDownMs?: number;
  /** Trades of this last stretch are replayed on subscribe; default 30 s. */
  readonly replayMs?: number;
}

/** A running beta feed. */
export interface BetaFeed {
  readonly url: string;
  /** How many simulated restarts have happened. */
  readonly restarts: number;
  close(): Promise<void>;
}

/**
 * The "beta" vendor: trades batched into one frame, nested instrument
 * codes and ISO times, an explicit subscribe, and a restart now and then
 * that drops every client. Like many real feeds it replays its recent
 * trades to a new subscriber, which overlaps what the gateway already has
 * and is exactly what dedupe is for.
 */
export async function startBetaFeed(
  tape: TradeTape,
  options: BetaFeedOptions = {},
): Promise<BetaFeed> {
  const replayMs = options.replayMs ?? 30_000;
  const recent: Trade[] = [];
  let pending: Trade[] = [];
  let restarting = false;
  let restarts = 0;
  const subscribers = new Set<WebSocket>();

  const wss: WebSocketServer = await listenWs(options.port ?? 0, {
    verifyClient: (_info, done) => {
      if (restarting) done(false, 503, "restarting");
      else done(true);
    },
  });
  wss.on("connection", (socket) => {
    socket.on("message", (data) => {
      if (!isSubscribe(data.toString())) return;
      subscribers.add(socket);
      socket.send(JSON.stringify(betaFrame(recent)));
    });
    socket.on("close", () => subscribers.delete(socket));
  });

  const stopTape = tape.onTrade((trade) => {
    recent.push(trade);
    pending.push(trade);
    const horizon = Date.now() - replayMs;
    while ((recent[0]?.time ?? horizon) < horizon) recent.shift();
  });
  const batcher = setInterval(() => {
    if (pending.length === 0) return;
    const frame = JSON.stringify(betaFrame(pending));
    pending = [];
    for (const socket of subscribers) socket.send(frame);
  }, options.batchMs ?? 100);
  const status = setInterval(() => {
    for (const socket of subscribers) {
      socket.send('{"channel":"status","data":{"ok":true}}');
    }
  }, 5000);
  const restarter = setInterval(() => {
    restarts++;
    restarting = true;
    for (const socket of wss.clients) socket.close(1012, "service restart");
    setTimeout(() => {
      restarting = false;
    }, options.restartDownMs ?? 1000).unref();
  }, options.restartEveryMs ?? 15_000);

  return {
    url: wsUrl(wss, "/stream"),
    get restarts() {
      return restarts;
    },
    async close() {
      stopTape();
      clearInterval(batcher);
      clearInterval(status);
      clearInterval(restarter);
      await closeWs(wss);
    },
  };
}

/** The beta wire format of a batch of trades. */
export function betaFrame(trades: readonly Trade[]): Record<string, unknown> {
  return {
    channel: "trades",
    data: trades.map((trade) => ({
      instrument: { code: trade.symbol },
      id: trade.tradeId,
      sequence: trade.seq,
      timestamp: new Date(trade.time).toISOString(),
      price: trade.price,
      size: trade.qty,
      taker: trade.side,
    })),
  };
}

function isSubscribe(text: string): boolean {
  try {
    const request = JSON.parse(text) as Record<string, unknown>;
    return request.op === "subscribe" && request.channel === "trades";
  } catch {
    return false;
  }
}
