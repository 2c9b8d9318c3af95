/**
 * Milliseconds on a clock every process on this machine agrees on: the
 * process's start on the wall clock plus the monotonic time since. A
 * planned send time stamped by the feed can then be subtracted from a
 * receive time taken in a subscriber process.
 */
export function clockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Resolves at `atMs` on {@link clockMs} (at once if that has passed). */
export function sleepUntil(atMs: number): Promise<void> {
  const delayMs = Math.max(0, atMs - clockMs());
  return new Promise((resolve) => setTimeout(resolve, delayMs));
}
