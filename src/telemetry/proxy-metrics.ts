import type { Meter } from "@opentelemetry/api";
import { Attr } from "./attributes.js";

/** Backend health states, one gauge series each. */
const BACKEND_STATES = ["healthy", "unhealthy", "ejected"] as const;

/** One backend, as `BackendView` gives it. */
export interface BackendReading {
  readonly id: string;
  readonly health: string;
  readonly bytesToBackend: number;
  readonly bytesToClients: number;
}

/** One pool, as `PoolView` gives it. */
export interface PoolReading {
  readonly id: string;
  /** Client sessions open now. */
  readonly sessions: number;
  readonly backends: readonly BackendReading[];
}

/** What the proxy instruments read: the gateway's `ProxyGateway`. */
export interface ProxyReadings {
  listPools(): readonly PoolReading[];
}

/**
 * The bytes a pool forwarded, kept monotonic across backend removals: a
 * removed backend's last count stays in its pool's total. What it
 * forwarded after the last collection is lost, one scrape's worth.
 */
class PoolBytes {
  /** `pool\0backend\0direction` to the last count seen. */
  #last = new Map<string, number>();
  /** `pool\0direction` to the bytes of backends gone. */
  readonly #retired = new Map<string, number>();

  /** Totals per `pool\0direction` over every pool, now. */
  collect(pools: readonly PoolReading[]): Map<string, number> {
    const seen = new Map<string, number>();
    const totals = new Map(this.#retired);
    for (const pool of pools) {
      for (const direction of ["to_backend", "to_client"] as const) {
        add(totals, `${pool.id}\0${direction}`, 0);
      }
      for (const backend of pool.backends) {
        const counts = {
          to_backend: backend.bytesToBackend,
          to_client: backend.bytesToClients,
        };
        for (const [direction, bytes] of Object.entries(counts)) {
          seen.set(`${pool.id}\0${backend.id}\0${direction}`, bytes);
          add(totals, `${pool.id}\0${direction}`, bytes);
        }
      }
    }
    for (const [key, bytes] of this.#last) {
      if (seen.has(key)) continue;
      const [pool, , direction] = key.split("\0");
      const retiredKey = `${pool}\0${direction}`;
      add(this.#retired, retiredKey, bytes);
      add(totals, retiredKey, bytes);
    }
    this.#last = seen;
    return totals;
  }
}

/**
 * Adds the proxy instruments to `meter`, read from `readings()` at each
 * collection (nothing while it returns undefined): sessions per pool,
 * backend health per pool and backend (1 for the state it is in, else
 * 0), and bytes forwarded per pool and direction.
 */
export function observeProxy(
  meter: Meter,
  readings: () => ProxyReadings | undefined,
): void {
  const sessions = meter.createObservableUpDownCounter(
    "tributary.proxy.sessions",
    { unit: "{session}", description: "Proxied client sessions open now" },
  );
  const health = meter.createObservableGauge("tributary.proxy.backend.state", {
    unit: "1",
    description: "1 for the health state each proxy backend is in, else 0",
  });
  const bytes = meter.createObservableCounter("tributary.proxy.io", {
    unit: "By",
    description: "Payload bytes forwarded by the proxy, by direction",
  });
  const poolBytes = new PoolBytes();
  meter.addBatchObservableCallback(
    (result) => {
      const pools = readings()?.listPools() ?? [];
      for (const pool of pools) {
        const attributes = { [Attr.POOL]: pool.id };
        result.observe(sessions, pool.sessions, attributes);
        for (const backend of pool.backends) {
          for (const state of BACKEND_STATES) {
            result.observe(health, backend.health === state ? 1 : 0, {
              ...attributes,
              [Attr.BACKEND]: backend.id,
              [Attr.BACKEND_HEALTH]: state,
            });
          }
        }
      }
      for (const [key, total] of poolBytes.collect(pools)) {
        const [pool, direction] = key.split("\0");
        result.observe(bytes, total, {
          [Attr.POOL]: pool ?? "",
          [Attr.DIRECTION]: direction ?? "",
        });
      }
    },
    [sessions, health, bytes],
  );
}

function add(map: Map<string, number>, key: string, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}
