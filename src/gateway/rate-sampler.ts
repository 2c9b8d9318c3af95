/** How often counters are sampled. */
const SAMPLE_INTERVAL_MS = 1000;

/** Rates are averaged over this many samples (about five seconds). */
const WINDOW_SAMPLES = 5;

interface Series {
  /** Counter values, oldest first, at most WINDOW_SAMPLES + 1. */
  readonly values: number[];
  readonly times: number[];
}

/**
 * Turns monotonic counters into per-second rates over the last few
 * seconds. Counters are read by callbacks on a timer, so the hot path
 * only increments its counters and never touches this class.
 */
export class RateSampler {
  readonly #series = new Map<string, Series>();
  readonly #read: () => Iterable<[string, number]>;
  #timer: NodeJS.Timeout | undefined;

  /** `read` yields every tracked counter as `[key, value]`. */
  constructor(read: () => Iterable<[string, number]>) {
    this.#read = read;
  }

  start(): void {
    this.#timer ??= setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Records every counter now; keys not seen this time are forgotten. */
  sample(now = Date.now()): void {
    const seen = new Set<string>();
    for (const [key, value] of this.#read()) {
      seen.add(key);
      let series = this.#series.get(key);
      if (series === undefined) {
        series = { values: [], times: [] };
        this.#series.set(key, series);
      }
      series.values.push(value);
      series.times.push(now);
      if (series.values.length > WINDOW_SAMPLES + 1) {
        series.values.shift();
        series.times.shift();
      }
    }
    for (const key of this.#series.keys()) {
      if (!seen.has(key)) this.#series.delete(key);
    }
  }

  /** Per-second rate of `key` over the window; 0 before two samples. */
  rate(key: string): number {
    const series = this.#series.get(key);
    if (series === undefined || series.values.length < 2) return 0;
    const last = series.values.length - 1;
    const elapsedMs = (series.times[last] ?? 0) - (series.times[0] ?? 0);
    if (elapsedMs <= 0) return 0;
    const delta = (series.values[last] ?? 0) - (series.values[0] ?? 0);
    return (delta * 1000) / elapsedMs;
  }
}
