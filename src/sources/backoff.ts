/**
 * Reconnect delays: exponential growth, capped, with full jitter.
 *
 * Full jitter (a uniform draw between zero and the current ceiling) spreads
 * the reconnects of many gateways that lost the same upstream at the same
 * moment, so a recovering feed is not hit by all of them at once.
 */

/** Tunables of a {@link Backoff}; the same shape as `reconnect` in config. */
export interface BackoffOptions {
  /** Ceiling of the first delay, in ms. Must be positive. */
  readonly initialDelayMs: number;
  /** No delay ever exceeds this, in ms. Must be at least initialDelayMs. */
  readonly maxDelayMs: number;
  /** Each attempt multiplies the ceiling by this. Must be at least 1. */
  readonly multiplier: number;
  /**
   * Source of uniform numbers in [0, 1); default `Math.random`. Tests pass
   * a fixed function to make delays exact.
   */
  readonly random?: () => number;
}

/**
 * Hands out reconnect delays. Attempt n (from 0) waits
 * `random() * min(maxDelayMs, initialDelayMs * multiplier ** n)`, rounded
 * down to whole ms, so every delay lies in `[0, maxDelayMs]`.
 */
export class Backoff {
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly multiplier: number;
  private readonly random: () => number;
  /** Delays handed out since construction or the last reset. */
  private attempts = 0;

  /** @throws RangeError when the options cannot describe a backoff. */
  constructor(options: BackoffOptions) {
    const { initialDelayMs, maxDelayMs, multiplier } = options;
    if (!(initialDelayMs > 0)) {
      throw new RangeError(
        `initialDelayMs must be positive: ${initialDelayMs}`,
      );
    }
    if (!(maxDelayMs >= initialDelayMs)) {
      throw new RangeError(
        `maxDelayMs (${maxDelayMs}) must be at least initialDelayMs ` +
          `(${initialDelayMs})`,
      );
    }
    if (!(multiplier >= 1)) {
      throw new RangeError(`multiplier must be at least 1: ${multiplier}`);
    }
    this.initialDelayMs = initialDelayMs;
    this.maxDelayMs = maxDelayMs;
    this.multiplier = multiplier;
    this.random = options.random ?? Math.random;
  }

  /** How many delays were handed out since the last reset. */
  get attempt(): number {
    return this.attempts;
  }

  /** The ceiling the next delay is drawn under, in ms. */
  get ceilingMs(): number {
    // Grows to Infinity for large attempts, which min() turns into the cap.
    const grown = this.initialDelayMs * this.multiplier ** this.attempts;
    return Math.min(this.maxDelayMs, grown);
  }

  /** The delay before the next attempt, in ms; counts one attempt. */
  next(): number {
    const ceiling = this.ceilingMs;
    this.attempts += 1;
    // Clamp so a faulty random() (NaN, or outside [0, 1)) cannot leave
    // the bounds.
    const value = this.random();
    const draw = value > 0 ? Math.min(value, 1) : 0;
    return Math.floor(draw * ceiling);
  }

  /** Starts over from initialDelayMs, after a connection proved stable. */
  reset(): void {
    this.attempts = 0;
  }
}
