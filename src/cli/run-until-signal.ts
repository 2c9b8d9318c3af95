import type { Logger } from "pino";

/**
 * Keeps a started service running until SIGINT or SIGTERM, then stops it
 * once; a second signal exits at once for an operator who will not wait.
 */
export function runUntilSignal(
  logger: Logger,
  stop: () => Promise<void>,
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info({ signal }, "shutting down");
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

/** A one-line reason for a startup failure an operator can act on. */
export function describeStartupError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const error = err as NodeJS.ErrnoException & {
    address?: string;
    port?: number;
  };
  if (code === "EADDRINUSE") {
    return (
      `cannot listen on ${error.address}:${error.port}: the address is in ` +
      "use (pick another with server.port or --port)"
    );
  }
  if (code === "EACCES") {
    return `cannot listen on ${error.address}:${error.port}: permission denied`;
  }
  return err instanceof Error ? err.message : String(err);
}
