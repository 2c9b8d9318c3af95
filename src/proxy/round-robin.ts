import type { Balancer, Candidate } from "./balancer.js";

/**
 * Smooth weighted round-robin: every pick adds each candidate's weight to
 * its credit and takes the one with the most, which then pays the total.
 * Equal weights give a plain rotation; unequal ones interleave instead of
 * sending bursts to the heaviest backend.
 */
export function createRoundRobin(): Balancer {
  const credit = new Map<string, number>();

  return {
    pick(candidates: readonly Candidate[]): Candidate | undefined {
      let best: Candidate | undefined;
      let bestCredit = -Infinity;
      let total = 0;
      for (const candidate of candidates) {
        const next = (credit.get(candidate.id) ?? 0) + candidate.weight;
        credit.set(candidate.id, next);
        total += candidate.weight;
        if (next > bestCredit) {
          best = candidate;
          bestCredit = next;
        }
      }
      if (best !== undefined) credit.set(best.id, bestCredit - total);
      forgetAbsent(credit, candidates);
      return best;
    },
  };
}

/** Drops the credit of backends that left, so the map cannot grow. */
function forgetAbsent(
  credit: Map<string, number>,
  candidates: readonly Candidate[],
): void {
  if (credit.size <= candidates.length) return;
  const present = new Set(candidates.map((c) => c.id));
  for (const id of credit.keys()) if (!present.has(id)) credit.delete(id);
}
