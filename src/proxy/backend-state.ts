import type { BackendConfig, PassiveConfig } from "./pool-schema.js";

/** Longest ejection, as a multiple of `passive.ejectMs`. */
export const MAX_EJECT_FACTOR = 16;

/** A backend's health as a pool reports it. */
export type BackendHealth = "healthy" | "unhealthy" | "ejected";

/** Thresholds of the active checks; absent when the pool has none. */
export interface CheckThresholds {
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

/** A point-in-time view of one backend, for ListPools. */
export interface BackendView {
  readonly id: string;
  readonly url: string;
  readonly weight: number;
  readonly health: BackendHealth;
  /** Drained backends take no new sessions. */
  readonly draining: boolean;
  /** When an ejection ends, ms since the Unix epoch. */
  readonly ejectedUntil?: number;
  /** The last failed check or connect, for operators. */
  readonly lastError?: string;
  readonly openSessions: number;
  /** Failed connects since the backend was added. */
  readonly connectFailures: number;
  /** Payload bytes forwarded from clients to this backend. */
  readonly bytesToBackend: number;
  /** Payload bytes forwarded from this backend to clients. */
  readonly bytesToClients: number;
}

/**
 * Health and counters of one backend. Two independent signals keep it
 * out of the balancer: active checks (unhealthy after
 * `unhealthyThreshold` failed checks in a row, healthy again after
 * `healthyThreshold` passed ones) and passive ejection (after
 * `passive.failures` failed connects in a row, for a backoff that doubles
 * with each ejection until a connect succeeds).
 */
export class BackendState {
  readonly config: BackendConfig;
  draining = false;
  openSessions = 0;
  /** Handshakes in progress; counted as load by least-connections. */
  pendingConnects = 0;
  connectFailures = 0;
  bytesToBackend = 0;
  bytesToClients = 0;
  lastError: string | undefined;

  #checkedHealthy = true;
  #checkStreak = 0;
  #failStreak = 0;
  #ejections = 0;
  #ejectedUntil = 0;
  readonly #passive: PassiveConfig;
  readonly #now: () => number;

  constructor(
    config: BackendConfig,
    passive: PassiveConfig,
    now: () => number,
  ) {
    this.config = config;
    this.#passive = passive;
    this.#now = now;
  }

  get id(): string {
    return this.config.id;
  }

  /** The balancer may give it a new session. */
  get eligible(): boolean {
    return !this.draining && this.health === "healthy";
  }

  get health(): BackendHealth {
    if (this.#ejectedUntil > this.#now()) return "ejected";
    return this.#checkedHealthy ? "healthy" : "unhealthy";
  }

  /** Feeds one active check result; returns true when health changed. */
  recordCheck(passed: boolean, thresholds: CheckThresholds): boolean {
    if (passed === this.#checkedHealthy) {
      this.#checkStreak = 0;
      return false;
    }
    this.#checkStreak += 1;
    const needed = passed
      ? thresholds.healthyThreshold
      : thresholds.unhealthyThreshold;
    if (this.#checkStreak < needed) return false;
    this.#checkedHealthy = passed;
    this.#checkStreak = 0;
    return true;
  }

  /** A handshake with this backend succeeded: the backoff starts over. */
  recordConnectSuccess(): void {
    this.#failStreak = 0;
    this.#ejections = 0;
  }

  /** A handshake failed; returns true when this ejected the backend. */
  recordConnectFailure(reason: string): boolean {
    this.connectFailures += 1;
    this.lastError = reason;
    this.#failStreak += 1;
    const limit = this.#passive.failures;
    if (limit === 0 || this.#failStreak < limit) return false;

    this.#failStreak = 0;
    this.#ejections += 1;
    const factor = Math.min(2 ** (this.#ejections - 1), MAX_EJECT_FACTOR);
    this.#ejectedUntil = this.#now() + this.#passive.ejectMs * factor;
    return true;
  }

  view(): BackendView {
    const ejected = this.health === "ejected";
    return {
      id: this.id,
      url: this.config.url,
      weight: this.config.weight,
      health: this.health,
      draining: this.draining,
      ...(ejected ? { ejectedUntil: this.#ejectedUntil } : {}),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      openSessions: this.openSessions,
      connectFailures: this.connectFailures,
      bytesToBackend: this.bytesToBackend,
      bytesToClients: this.bytesToClients,
    };
  }
}
