/**
 * A simulated market: trades for a few symbols on a fixed schedule, the
 * same trades for every feed that taps the tape. Each feed then presents
 * them in its own wire format and with its own faults.
 */

/** Symbols the demo trades; each becomes a topic `trades.<SYMBOL>`. */
export const DEMO_SYMBOLS = ["BTC-USD", "ETH-USD", "SOL-USD", "DOGE-USD"];

const START_PRICES: Record<string, number> = {
  "BTC-USD": 43_000,
  "ETH-USD": 2_300,
  "SOL-USD": 98,
  "DOGE-USD": 0.09,
};

/** One trade as the simulated exchange knows it. */
export interface Trade {
  /** Unique across the tape, like an exchange's trade id. */
  readonly tradeId: string;
  readonly symbol: string;
  /** Per-symbol sequence, from 1. */
  readonly seq: number;
  /** Event time, ms since the Unix epoch. */
  readonly time: number;
  readonly price: number;
  readonly qty: number;
  readonly side: "buy" | "sell";
}

export type TradeListener = (trade: Trade) => void;

/** Options of {@link TradeTape}. */
export interface TradeTapeOptions {
  /** Trades per second over all symbols; default 20. */
  readonly tradesPerSecond?: number;
  readonly symbols?: readonly string[];
}

/** Prints trades on a timer and hands each to every listener. */
export class TradeTape {
  readonly #listeners = new Set<TradeListener>();
  readonly #symbols: readonly string[];
  readonly #intervalMs: number;
  readonly #prices = new Map<string, number>();
  readonly #seqs = new Map<string, number>();
  #nextTradeId = 1;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: TradeTapeOptions = {}) {
    this.#symbols = options.symbols ?? DEMO_SYMBOLS;
    this.#intervalMs = 1000 / (options.tradesPerSecond ?? 20);
  }

  onTrade(listener: TradeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    this.#timer ??= setInterval(() => this.next(), this.#intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Prints one trade now; exposed so tests need not wait for the timer. */
  next(): Trade {
    const symbol = this.#pickSymbol();
    const trade: Trade = {
      tradeId: `T-${this.#nextTradeId++}`,
      symbol,
      seq: this.#nextSeq(symbol),
      time: Date.now(),
      price: this.#walkPrice(symbol),
      qty: roundTo(Math.random() * 2, 4) || 0.0001,
      side: Math.random() < 0.5 ? "buy" : "sell",
    };
    for (const listener of this.#listeners) listener(trade);
    return trade;
  }

  #pickSymbol(): string {
    const index = Math.floor(Math.random() * this.#symbols.length);
    return this.#symbols[index] ?? "BTC-USD";
  }

  #nextSeq(symbol: string): number {
    const seq = (this.#seqs.get(symbol) ?? 0) + 1;
    this.#seqs.set(symbol, seq);
    return seq;
  }

  #walkPrice(symbol: string): number {
    const last = this.#prices.get(symbol) ?? START_PRICES[symbol] ?? 100;
    const next = last * (1 + (Math.random() - 0.5) * 0.002);
    this.#prices.set(symbol, next);
    return roundTo(next, last < 1 ? 6 : 2);
  }
}

function roundTo(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
