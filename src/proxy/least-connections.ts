import type { Balancer, Candidate } from "./balancer.js";

/**
 * The candidate with the least load per unit of weight. Ties rotate, so
 * a burst of sessions onto idle backends still spreads evenly.
 */
export function createLeastConnections(): Balancer {
  let turn = 0;

  return {
    pick(candidates: readonly Candidate[]): Candidate | undefined {
      let lowest = Infinity;
      const tied: Candidate[] = [];
      for (const candidate of candidates) {
        const share = candidate.load / candidate.weight;
        if (share < lowest) {
          lowest = share;
          tied.length = 0;
        }
        if (share === lowest) tied.push(candidate);
      }
      if (tied.length === 0) return undefined;
      turn = (turn + 1) % Number.MAX_SAFE_INTEGER;
      return tied[turn % tied.length];
    },
  };
}
