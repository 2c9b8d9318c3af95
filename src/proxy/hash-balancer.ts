import type { Balancer, Candidate } from "./balancer.js";
import { HashRing } from "./hash-ring.js";
import { createRoundRobin } from "./round-robin.js";

/**
 * Consistent hashing over the current candidates. A ring of only the
 * eligible backends gives each key the same backend as walking a ring of
 * all of them past the ineligible ones, so an unhealthy backend moves
 * only its own keys, and they come back when it recovers. The ring is
 * rebuilt only when the candidate set changes.
 */
export function createHashBalancer(): Balancer {
  const fallback = createRoundRobin();
  let ring = new HashRing([]);
  let ringSignature = "";

  return {
    pick(candidates: readonly Candidate[], key: string | undefined) {
      if (candidates.length === 0) return undefined;
      // A request without the key has nothing to stick to.
      if (key === undefined) return fallback.pick(candidates, key);

      const signature = signatureOf(candidates);
      if (signature !== ringSignature) {
        ring = new HashRing(candidates);
        ringSignature = signature;
      }
      const owner = ring.owner(key);
      return candidates.find((c) => c.id === owner);
    },
  };
}

function signatureOf(candidates: readonly Candidate[]): string {
  return candidates
    .map((c) => `${c.id}*${c.weight}`)
    .sort()
    .join(",");
}
