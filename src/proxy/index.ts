/**
 * Proxy mode: WebSocket backend pools on their own paths, with
 * balancing, health checks, backpressure and session failover. The
 * gateway chains {@link ProxyGateway.handleUpgrade} after its `/ws`
 * handler and adds {@link poolSchema} to its config as `pools`.
 */

export type { BackendHealth, BackendView } from "./backend-state.js";
export type { Balancer, Candidate } from "./balancer.js";
export { createBalancer } from "./balancer.js";
export { ProxyCloseCode } from "./close-codes.js";
export { HashRing, VIRTUAL_NODES_PER_WEIGHT } from "./hash-ring.js";
export type {
  BackendConfig,
  BackendInput,
  BalancerConfig,
  FailoverConfig,
  HealthCheckConfig,
  PassiveConfig,
  PoolConfig,
  PoolInput,
} from "./pool-schema.js";
export { backendSchema, poolSchema, RESERVED_PATHS } from "./pool-schema.js";
export type { ProxyErrorCode } from "./proxy-error.js";
export { ProxyError } from "./proxy-error.js";
export type { ProxyGatewayOptions } from "./proxy-gateway.js";
export { ProxyGateway } from "./proxy-gateway.js";
export type {
  ProxySessionChange,
  ProxySessionView,
  SessionState,
} from "./proxy-session.js";
export type { PoolView } from "./views.js";
