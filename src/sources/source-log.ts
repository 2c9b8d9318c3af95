import type { Logger } from "pino";
import type { SourceHealth } from "./source-health.js";

/**
 * Logs a health change old -> new with its reason. The level follows whose
 * fault it is: the upstream's failures warn, our own steps inform.
 */
export function logTransition(
  log: Logger,
  previous: SourceHealth,
  next: SourceHealth,
): void {
  const fields = { from: previous.state, to: next.state, reason: next.reason };
  const message = `source ${next.state}`;
  if (next.state === "down" && next.retryInMs !== undefined) {
    const { retryInMs, nextRetryAt } = next;
    log.warn({ ...fields, retryInMs, nextRetryAt }, message);
  } else if (next.state === "stale") {
    log.warn(fields, message);
  } else {
    log.info(fields, message);
  }
}

/**
 * The URL as logged: credentials and query strings often carry API keys,
 * so both are left out.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return "(invalid url)";
  }
}
