import type { Logger } from "pino";
import { Gateway } from "../gateway/index.js";
import { type AlphaFeed, startAlphaFeed } from "./alpha-feed.js";
import { type BetaFeed, startBetaFeed } from "./beta-feed.js";
import { demoConfig } from "./demo-config.js";
import { TradeTape } from "./trade-tape.js";

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Gateway port; 8080 by default, 0 for any free port. */
  readonly port?: number;
  readonly logger: Logger;
  /** Trades per second over all symbols; default 20. */
  readonly tradesPerSecond?: number;
  /** How often beta drops its clients; default 15 s. */
  readonly betaRestartEveryMs?: number;
  /** Share of trades alpha never sends; default 0.08. */
  readonly alphaSkipRate?: number;
}

/** A running demo: the simulated market, both feeds and the gateway. */
export interface Demo {
  readonly tape: TradeTape;
  readonly alpha: AlphaFeed;
  readonly beta: BetaFeed;
  readonly gateway: Gateway;
  stop(): Promise<void>;
}

/** Starts both simulated feeds on free ports and a gateway over them. */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const tape = new TradeTape({ tradesPerSecond: options.tradesPerSecond });
  const alpha = await startAlphaFeed(tape, {
    skipRate: options.alphaSkipRate,
  });
  const beta = await startBetaFeed(tape, {
    restartEveryMs: options.betaRestartEveryMs,
  });
  const config = demoConfig(alpha.url, beta.url, options.port ?? 8080);
  const gateway = new Gateway(config, options.logger);
  try {
    await gateway.start();
  } catch (err) {
    await Promise.all([alpha.close(), beta.close()]);
    throw err;
  }
  tape.start();

  return {
    tape,
    alpha,
    beta,
    gateway,
    async stop() {
      tape.stop();
      await gateway.stop();
      await Promise.all([alpha.close(), beta.close()]);
    },
  };
}
