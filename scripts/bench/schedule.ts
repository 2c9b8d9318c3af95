/**
 * The feed's schedule: when each message is planned to be sent. Shared by
 * the feed, which follows it, and the orchestrator, which needs to know
 * how many messages there will be.
 */

/** A schedule: a steady warm-up, then the measurement window. */
export interface ScheduleSpec {
  /** Planned send time of message 1, ms on `clockMs()`. */
  readonly startAt: number;
  readonly warmupMs: number;
  readonly windowMs: number;
  /** Messages per second during the warm-up and at the window's start. */
  readonly startRate: number;
  /**
   * Messages per second at the window's end; the rate rises linearly in
   * between. Equal to startRate for a steady load.
   */
  readonly endRate: number;
  /** Messages planned at the same instant; default 1. */
  readonly burst?: number;
  /** Topics the messages are spread over, round robin; default 1. */
  readonly topics?: number;
}

/** Messages per second at `elapsedMs` after the schedule's start. */
function rateAt(spec: ScheduleSpec, elapsedMs: number): number {
  const intoWindow = elapsedMs - spec.warmupMs;
  if (intoWindow <= 0) return spec.startRate;
  const share = Math.min(1, intoWindow / spec.windowMs);
  return spec.startRate + (spec.endRate - spec.startRate) * share;
}

/** Planned send times of messages 1..n (index 0 is message 1). */
export function plannedTimes(spec: ScheduleSpec): Float64Array {
  const endMs = spec.warmupMs + spec.windowMs;
  const burst = Math.max(1, spec.burst ?? 1);
  const times: number[] = [];
  for (let elapsed = 0; elapsed < endMs; ) {
    for (let i = 0; i < burst; i++) times.push(spec.startAt + elapsed);
    elapsed += (1000 * burst) / rateAt(spec, elapsed);
  }
  return Float64Array.from(times);
}
