import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import type { z } from "zod";
import {
  type BackendInput,
  backendSchema,
  type PoolConfig,
  type PoolInput,
  poolSchema,
} from "./pool-schema.js";
import { ProxyError } from "./proxy-error.js";
import { ProxyPool } from "./proxy-pool.js";
import type { ProxySessionChange, ProxySessionView } from "./proxy-session.js";
import type { PoolView } from "./views.js";

/** Options of {@link ProxyGateway}. */
export interface ProxyGatewayOptions {
  /** Pools from the config file, already parsed. Default none. */
  readonly pools?: readonly PoolConfig[];
  readonly logger: Logger;
  /** Clock for ejection backoffs; default `Date.now`. For tests. */
  readonly now?: () => number;
  /**
   * Called when a proxied session opens, moves to another backend or
   * closes, for telemetry; it must not throw. Default none.
   */
  readonly onSessionChange?: (change: ProxySessionChange) => void;
}

/**
 * Proxy mode: serves each pool's path on an HTTP server that other
 * handlers share, and keeps pools and backends changeable at runtime
 * for the control plane. Control methods throw {@link ProxyError}.
 */
export class ProxyGateway {
  readonly #pools = new Map<string, ProxyPool>();
  readonly #byPath = new Map<string, ProxyPool>();
  readonly #log: Logger;
  readonly #now: (() => number) | undefined;
  readonly #onChange: ((change: ProxySessionChange) => void) | undefined;

  constructor(options: ProxyGatewayOptions) {
    this.#onChange = options.onSessionChange;
    this.#log = options.logger.child({ component: "proxy" });
    this.#now = options.now;
    for (const pool of options.pools ?? []) this.#addParsed(pool);
  }

  /**
   * Takes an upgrade request if its path belongs to a pool; returns
   * false otherwise so the caller can offer it to another handler.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const pool = this.#byPath.get(pathOf(req));
    if (pool === undefined) return false;
    pool.handleUpgrade(req, socket, head);
    return true;
  }

  /** Adds a pool from a control call; validated against the schema. */
  addPool(input: PoolInput): PoolView {
    return this.#addParsed(parse(poolSchema, input)).view();
  }

  /** Removes a pool, closing its sessions with 1001. */
  removePool(poolId: string): void {
    const pool = this.#require(poolId);
    this.#pools.delete(poolId);
    this.#byPath.delete(pool.config.path);
    pool.close(1001, "pool removed");
  }

  addBackend(poolId: string, input: BackendInput): PoolView {
    const pool = this.#require(poolId);
    pool.addBackend(parse(backendSchema, input));
    return pool.view();
  }

  /** Removes a backend; its sessions move (or close with 1012). */
  removeBackend(poolId: string, backendId: string): void {
    this.#require(poolId).removeBackend(backendId);
  }

  /**
   * A drained backend takes no new sessions; with `move` its sessions
   * move to other backends now, else they end on their own.
   */
  drainBackend(
    poolId: string,
    backendId: string,
    options: { readonly move: boolean },
  ): void {
    this.#require(poolId).drain(backendId, options);
  }

  /** Lets a drained backend take sessions again. */
  undrainBackend(poolId: string, backendId: string): void {
    this.#require(poolId).undrain(backendId);
  }

  listPools(): PoolView[] {
    return [...this.#pools.values()].map((pool) => pool.view());
  }

  /** Every open session, or those of one pool. */
  listSessions(poolId?: string): ProxySessionView[] {
    const pools =
      poolId === undefined
        ? [...this.#pools.values()]
        : [this.#require(poolId)];
    return pools.flatMap((pool) => [...pool.sessions].map((s) => s.view()));
  }

  /** Closes every session with 1001 and stops all health checks. */
  close(): void {
    for (const pool of this.#pools.values()) {
      pool.close(1001, "gateway shutting down");
    }
    this.#pools.clear();
    this.#byPath.clear();
  }

  #addParsed(config: PoolConfig): ProxyPool {
    if (this.#pools.has(config.id)) {
      throw new ProxyError("ALREADY_EXISTS", `pool '${config.id}' exists`);
    }
    if (this.#byPath.has(config.path)) {
      const message = `path ${config.path} is served by another pool`;
      throw new ProxyError("ALREADY_EXISTS", message);
    }
    const pool = new ProxyPool(config, this.#log, this.#now, this.#onChange);
    this.#pools.set(config.id, pool);
    this.#byPath.set(config.path, pool);
    return pool;
  }

  #require(poolId: string): ProxyPool {
    const pool = this.#pools.get(poolId);
    if (pool !== undefined) return pool;
    throw new ProxyError("NOT_FOUND", `no pool '${poolId}'`);
  }
}

/** Parses control input; a schema violation names the field. */
function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const message = result.error.issues
    .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
    .join("; ");
  throw new ProxyError("INVALID_ARGUMENT", message);
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}
