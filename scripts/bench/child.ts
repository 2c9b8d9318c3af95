/**
 * The child side of the IPC link: every benchmark process is forked with
 * an IPC channel, takes commands from it and ends by itself.
 */

/** A message on the IPC link: a tagged plain object. */
export interface IpcMessage {
  readonly type: string;
}

/** Sends `message` to the parent process. */
export function sendToParent<T extends IpcMessage>(message: T): void {
  process.send?.(message);
}

/**
 * Bounds this process's life: it exits when the parent goes away (the
 * IPC channel closes) or after `maxMs`, whichever comes first, so that no
 * benchmark process can outlive a crashed or interrupted run.
 */
export function boundLifetime(name: string, maxMs: number): void {
  if (process.send === undefined) {
    console.error(`${name}: start me through scripts/bench/main.ts`);
    process.exit(2);
  }
  process.on("disconnect", () => process.exit(0));
  const timer = setTimeout(() => {
    console.error(`${name}: still running after ${maxMs} ms; exiting`);
    process.exit(3);
  }, maxMs);
  timer.unref();
}

/**
 * Calls `handler` for every command from the parent. A handler that
 * throws or rejects ends the process with the error on stderr, because a
 * half-working benchmark process would only produce wrong numbers.
 */
export function onCommand<T extends IpcMessage>(
  name: string,
  handler: (command: T) => void | Promise<void>,
): void {
  process.on("message", (message) => {
    Promise.resolve()
      .then(() => handler(message as T))
      .catch((err: unknown) => {
        console.error(`${name}: ${(err as Error).stack ?? String(err)}`);
        process.exit(1);
      });
  });
}

/** Reads `--max-ms=N` from argv; the parent always passes it. */
export function maxMsFromArgv(fallbackMs: number): number {
  const arg = process.argv.find((a) => a.startsWith("--max-ms="));
  const value = Number(arg?.slice("--max-ms=".length));
  return Number.isFinite(value) && value > 0 ? value : fallbackMs;
}

/** Runs the garbage collector when the process was started with it. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
