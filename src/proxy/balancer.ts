import { createHashBalancer } from "./hash-balancer.js";
import { createLeastConnections } from "./least-connections.js";
import type { BalancerConfig } from "./pool-schema.js";
import { createRoundRobin } from "./round-robin.js";

/** What a balancer knows of one backend that may take a session. */
export interface Candidate {
  readonly id: string;
  /** Relative share, 1 to 100. */
  readonly weight: number;
  /** Open sessions plus handshakes in progress. */
  readonly load: number;
}

/**
 * Picks the backend for a new session among the eligible ones. A
 * balancer holds no backend list of its own: the pool passes the current
 * candidates on every call, so health and drain changes need no update.
 */
export interface Balancer {
  /**
   * Returns one of `candidates`, or undefined when it is empty. `key` is
   * the request's hash key (hash balancers only; undefined when absent).
   */
  pick(
    candidates: readonly Candidate[],
    key: string | undefined,
  ): Candidate | undefined;
}

/** Builds the balancer a pool's config asks for. */
export function createBalancer(config: BalancerConfig): Balancer {
  switch (config.type) {
    case "round-robin":
      return createRoundRobin();
    case "least-connections":
      return createLeastConnections();
    case "hash":
      return createHashBalancer();
  }
}
