import type {
  BackendStatus,
  Pool,
  PoolStatus,
  Backend as ProtoBackend,
} from "../../gen/tributary/v1/control.js";
import { BackendHealth as ProtoHealth } from "../../gen/tributary/v1/control.js";
import type {
  BackendHealth,
  BackendView,
  PoolView,
} from "../../proxy/index.js";
import type { RawConfig } from "./source-mapping.js";

const HEALTH: Record<BackendHealth, ProtoHealth> = {
  healthy: ProtoHealth.BACKEND_HEALTH_HEALTHY,
  unhealthy: ProtoHealth.BACKEND_HEALTH_UNHEALTHY,
  ejected: ProtoHealth.BACKEND_HEALTH_EJECTED,
};

/**
 * The `pools[]` entry a proto Pool stands for. Zero, empty and absent
 * values mean "the default" in the proto, so they are left out and the
 * pool schema's defaults apply; `id` and `path` are always passed for the
 * schema to judge. The Struct settings are passed as they are.
 */
export function poolToConfig(pool: Pool): RawConfig {
  const raw: RawConfig = {
    id: pool.id,
    path: pool.path,
    backends: pool.backends.map(backendToConfig),
  };
  const structs = {
    balancer: pool.balancer,
    healthCheck: pool.healthCheck,
    passive: pool.passive,
    failover: pool.failover,
  };
  for (const [key, value] of Object.entries(structs)) {
    if (value !== undefined) raw[key] = value;
  }
  const counts = {
    connectTimeoutMs: pool.connectTimeoutMs,
    maxBufferedBytes: pool.maxBufferedBytes,
    maxMessageBytes: pool.maxMessageBytes,
  };
  for (const [key, value] of Object.entries(counts)) {
    if (value > 0) raw[key] = value;
  }
  if (pool.forwardHeaders.length > 0) raw.forwardHeaders = pool.forwardHeaders;
  return raw;
}

/** The `backends[]` entry a proto Backend stands for; weight 0 is 1. */
export function backendToConfig(backend: ProtoBackend): RawConfig {
  const raw: RawConfig = { id: backend.id, url: backend.url };
  if (backend.weight > 0) raw.weight = backend.weight;
  return raw;
}

/** A pool with its live state as the proto PoolStatus. */
export function poolViewToProto(view: PoolView): PoolStatus {
  return {
    id: view.id,
    path: view.path,
    balancer: view.balancer,
    sessions: view.sessions,
    backends: view.backends.map(backendViewToProto),
  };
}

function backendViewToProto(view: BackendView): BackendStatus {
  return {
    backend: { id: view.id, url: view.url, weight: view.weight },
    health: HEALTH[view.health],
    draining: view.draining,
    ejectedUntilMs: view.ejectedUntil ?? 0,
    lastError: view.lastError ?? "",
    openSessions: view.openSessions,
    connectFailures: view.connectFailures,
    bytesToBackend: view.bytesToBackend,
    bytesToClients: view.bytesToClients,
  };
}
