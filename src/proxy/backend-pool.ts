import { BackendState, type BackendView } from "./backend-state.js";
import { type Balancer, type Candidate, createBalancer } from "./balancer.js";
import type { BackendConfig, PoolConfig } from "./pool-schema.js";
import { ProxyError } from "./proxy-error.js";

/**
 * The backends of one pool and the balancer that chooses among them.
 * Holds state only; connecting and checking are done by its callers.
 */
export class BackendPool {
  readonly config: PoolConfig;
  readonly #backends = new Map<string, BackendState>();
  readonly #balancer: Balancer;
  readonly #now: () => number;

  constructor(config: PoolConfig, now: () => number = Date.now) {
    this.config = config;
    this.#now = now;
    this.#balancer = createBalancer(config.balancer);
    for (const backend of config.backends) this.add(backend);
  }

  get id(): string {
    return this.config.id;
  }

  /** Every backend, in the order they were added. */
  get backends(): readonly BackendState[] {
    return [...this.#backends.values()];
  }

  get(backendId: string): BackendState | undefined {
    return this.#backends.get(backendId);
  }

  /** Like {@link get}, but a missing backend is a NOT_FOUND error. */
  require(backendId: string): BackendState {
    const backend = this.#backends.get(backendId);
    if (backend !== undefined) return backend;
    const message = `pool '${this.id}' has no backend '${backendId}'`;
    throw new ProxyError("NOT_FOUND", message);
  }

  /** Adds a backend, healthy until checks or connects say otherwise. */
  add(config: BackendConfig): BackendState {
    if (this.#backends.has(config.id)) {
      const message = `pool '${this.id}' already has backend '${config.id}'`;
      throw new ProxyError("ALREADY_EXISTS", message);
    }
    const state = new BackendState(config, this.config.passive, this.#now);
    this.#backends.set(config.id, state);
    return state;
  }

  /** Forgets a backend; its open sessions are the caller's to move. */
  remove(backendId: string): BackendState {
    const backend = this.require(backendId);
    this.#backends.delete(backendId);
    return backend;
  }

  /** Some backend may take a new session now. */
  hasEligible(): boolean {
    for (const backend of this.#backends.values()) {
      if (backend.eligible) return true;
    }
    return false;
  }

  /**
   * The balancer's choice among eligible backends not in `exclude`
   * (those already tried for this session), or undefined.
   */
  pick(
    key: string | undefined,
    exclude: ReadonlySet<string>,
  ): BackendState | undefined {
    const candidates: Candidate[] = [];
    for (const backend of this.#backends.values()) {
      if (!backend.eligible || exclude.has(backend.id)) continue;
      const load = backend.openSessions + backend.pendingConnects;
      const { weight } = backend.config;
      candidates.push({ id: backend.id, weight, load });
    }
    const chosen = this.#balancer.pick(candidates, key);
    return chosen === undefined ? undefined : this.#backends.get(chosen.id);
  }

  views(): BackendView[] {
    return this.backends.map((backend) => backend.view());
  }
}
