import type { Logger } from "pino";
import type { BackendPool } from "./backend-pool.js";
import { probeBackend } from "./health-probe.js";
import type { HealthCheckConfig } from "./pool-schema.js";

/**
 * Runs a pool's active checks: every `intervalMs`, one probe per backend
 * that has none in flight. Timers are unref'd, so checks alone never keep
 * the process alive.
 */
export class HealthChecker {
  readonly #pool: BackendPool;
  readonly #check: HealthCheckConfig;
  readonly #log: Logger;
  readonly #inFlight = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(pool: BackendPool, check: HealthCheckConfig, logger: Logger) {
    this.#pool = pool;
    this.#check = check;
    this.#log = logger;
  }

  /** Checks at once, then every interval. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#round(), this.#check.intervalMs);
    this.#timer.unref();
    this.#round();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #round(): void {
    for (const backend of this.#pool.backends) {
      if (this.#inFlight.has(backend.id)) continue;
      this.#inFlight.add(backend.id);
      void this.#probe(backend.id, backend.config.url);
    }
  }

  async #probe(backendId: string, url: string): Promise<void> {
    const failure = await probeBackend(url, this.#check);
    this.#inFlight.delete(backendId);
    // The backend may have been removed while the probe ran.
    const backend = this.#pool.get(backendId);
    if (backend === undefined || this.#timer === undefined) return;

    if (failure !== undefined) backend.lastError = `check: ${failure}`;
    const before = backend.health;
    if (!backend.recordCheck(failure === undefined, this.#check)) return;
    this.#log.info(
      {
        backend: backendId,
        from: before,
        to: backend.health,
        ...(failure ? { reason: failure } : {}),
      },
      "backend health changed",
    );
  }
}
