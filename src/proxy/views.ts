import type { BackendView } from "./backend-state.js";

/** A point-in-time view of one pool, for ListPools. */
export interface PoolView {
  readonly id: string;
  readonly path: string;
  readonly balancer: "round-robin" | "least-connections" | "hash";
  /** Client sessions open now. */
  readonly sessions: number;
  readonly backends: readonly BackendView[];
}

export type { BackendView };
