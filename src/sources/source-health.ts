/**
 * The health of one upstream source, as a tagged union on `state`. Every
 * state says why it was entered (`reason`) and when (`since`), so an
 * operator can read a source's history from its transitions alone.
 */

/** What every health state carries. */
interface HealthBase {
  /** Why the source entered this state, for people: `handshake timeout`. */
  readonly reason: string;
  /** When the source entered this state, ms since the Unix epoch. */
  readonly since: number;
}

/** Dialing the upstream: TCP connect and WebSocket handshake. */
export interface SourceConnecting extends HealthBase {
  readonly state: "connecting";
}

/** Connected, subscribed, and frames arrive within `staleAfterMs`. */
export interface SourceUp extends HealthBase {
  readonly state: "up";
}

/**
 * Connected, but no frame arrived within `staleAfterMs`. The socket stays
 * open; the next frame makes the source `up` again.
 */
export interface SourceStale extends HealthBase {
  readonly state: "stale";
}

/** Not connected. A retry may be scheduled. */
export interface SourceDown extends HealthBase {
  readonly state: "down";
  /** Delay of the scheduled retry in ms; absent when none is scheduled. */
  readonly retryInMs?: number;
  /** When the scheduled retry dials, ms since the Unix epoch. */
  readonly nextRetryAt?: number;
}

/**
 * Held down on purpose by an operator. Reserved for the control plane:
 * a SourceConnection never enters it by itself.
 */
export interface SourcePaused extends HealthBase {
  readonly state: "paused";
}

/** The health of a source; switch on `state`. */
export type SourceHealth =
  | SourceConnecting
  | SourceUp
  | SourceStale
  | SourceDown
  | SourcePaused;

/** The names of the health states. */
export type SourceState = SourceHealth["state"];

/** Builds a `connecting` state. */
export function healthConnecting(
  reason: string,
  since: number,
): SourceConnecting {
  return { state: "connecting", reason, since };
}

/** Builds an `up` state. */
export function healthUp(reason: string, since: number): SourceUp {
  return { state: "up", reason, since };
}

/** Builds a `stale` state. */
export function healthStale(reason: string, since: number): SourceStale {
  return { state: "stale", reason, since };
}

/**
 * Builds a `down` state; with `retryInMs`, a retry is scheduled for
 * `since + retryInMs`.
 */
export function healthDown(
  reason: string,
  since: number,
  retryInMs?: number,
): SourceDown {
  if (retryInMs === undefined) return { state: "down", reason, since };
  const nextRetryAt = since + retryInMs;
  return { state: "down", reason, since, retryInMs, nextRetryAt };
}

/** Builds a `paused` state. */
export function healthPaused(reason: string, since: number): SourcePaused {
  return { state: "paused", reason, since };
}

/**
 * True when the source can serve as a failover group's active source:
 * connected and not stale.
 */
export function isHealthy(health: SourceHealth): boolean {
  return health.state === "up";
}
