/**
 * Time as the pipeline sees it: a clock and one-shot timers. Injectable so
 * tests drive gap waits, hold-downs and deadlines without sleeping.
 */
export interface PipelineClock {
  /** The current time in ms; only differences between readings matter. */
  now(): number;
  /**
   * Calls `callback` once, `delayMs` from now.
   *
   * @returns a function that cancels the call; calling it after the call
   *   has happened does nothing.
   */
  setTimer(callback: () => void, delayMs: number): () => void;
}

/** The real clock: `Date.now` and `setTimeout`. */
export const systemClock: PipelineClock = {
  now: () => Date.now(),
  setTimer(callback, delayMs) {
    const handle = setTimeout(callback, delayMs);
    return () => clearTimeout(handle);
  },
};

/**
 * One re-armable timer that remembers when it is due, so arming it again
 * for the same instant costs nothing.
 *
 * @internal Used by the stages of this module only.
 */
export class Timer {
  private cancelCall: (() => void) | undefined;
  private dueAt: number | undefined;

  constructor(
    private readonly clock: PipelineClock,
    private readonly callback: () => void,
  ) {}

  /** Whether a call is pending. */
  get armed(): boolean {
    return this.dueAt !== undefined;
  }

  /** Schedules the call at `at` (clock time), replacing a pending one. */
  armAt(at: number): void {
    if (this.dueAt === at) {
      return;
    }
    this.cancel();
    this.dueAt = at;
    const delayMs = Math.max(0, at - this.clock.now());
    this.cancelCall = this.clock.setTimer(() => {
      this.cancelCall = undefined;
      this.dueAt = undefined;
      this.callback();
    }, delayMs);
  }

  /** Drops the pending call, if any. */
  cancel(): void {
    this.cancelCall?.();
    this.cancelCall = undefined;
    this.dueAt = undefined;
  }
}
