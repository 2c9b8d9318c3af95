import type { PipelineClock } from "../../src/pipeline/index.js";

interface PendingTimer {
  readonly dueAt: number;
  readonly order: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that stands still until told to move, firing due timers in
 * order as it goes: tests of gap waits and hold-downs run without sleeps.
 */
export class ManualClock implements PipelineClock {
  private time: number;
  private scheduled = 0;
  private readonly timers: PendingTimer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, delayMs: number): () => void {
    const dueAt = this.time + Math.max(0, delayMs);
    const timer = {
      dueAt,
      order: this.scheduled++,
      callback,
      cancelled: false,
    };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Timers scheduled and neither fired nor cancelled. */
  get pending(): number {
    return this.timers.filter((timer) => !timer.cancelled).length;
  }

  /** Moves time forward by `ms`, firing each timer due on the way. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (let next = this.nextDue(until); next; next = this.nextDue(until)) {
      this.time = Math.max(this.time, next.dueAt);
      next.cancelled = true;
      next.callback();
    }
    this.time = until;
  }

  /** Fires every pending timer, however far ahead. */
  runAll(): void {
    const due = this.timers.filter((timer) => !timer.cancelled);
    const last = Math.max(this.time, ...due.map((timer) => timer.dueAt));
    this.advance(last - this.time);
    if (this.pending > 0) {
      this.runAll();
    }
  }

  private nextDue(until: number): PendingTimer | undefined {
    let next: PendingTimer | undefined;
    for (const timer of this.timers) {
      if (timer.cancelled || timer.dueAt > until) continue;
      const earlier =
        next === undefined ||
        timer.dueAt < next.dueAt ||
        (timer.dueAt === next.dueAt && timer.order < next.order);
      if (earlier) next = timer;
    }
    return next;
  }
}
