import { createHash } from "node:crypto";

/**
 * Points on the ring per unit of weight. More points even out the share
 * of each backend (the spread shrinks with the square root) at the cost
 * of a larger ring; 160 keeps every share within about ±20% of its due.
 */
export const VIRTUAL_NODES_PER_WEIGHT = 160;

/** A 32-bit position on the ring. */
export function ringPosition(value: string): number {
  return createHash("sha1").update(value).digest().readUInt32BE(0);
}

/** A member of the ring. */
export interface RingMember {
  readonly id: string;
  readonly weight: number;
}

/**
 * A consistent-hash ring: each member owns the arcs that end at its
 * virtual nodes, and a key belongs to the first node clockwise of it.
 * Adding a member takes keys only from the arcs its nodes split, so one
 * of n members moves about 1/n of the keys and moves them to itself.
 */
export class HashRing {
  readonly #positions: Uint32Array;
  readonly #owners: string[];

  constructor(members: readonly RingMember[]) {
    const nodes: { position: number; id: string }[] = [];
    for (const { id, weight } of members) {
      const count = weight * VIRTUAL_NODES_PER_WEIGHT;
      for (let n = 0; n < count; n++) {
        nodes.push({ position: ringPosition(`${id}#${n}`), id });
      }
    }
    // Ties on a position go to the smaller id, so the order of members
    // in the list never changes who owns a key.
    nodes.sort((a, b) => a.position - b.position || cmp(a.id, b.id));
    this.#positions = Uint32Array.from(nodes, (node) => node.position);
    this.#owners = nodes.map((node) => node.id);
  }

  /** The member that owns `key`, or undefined for an empty ring. */
  owner(key: string): string | undefined {
    if (this.#owners.length === 0) return undefined;
    const index = this.#firstAtOrAfter(ringPosition(key));
    return this.#owners[index % this.#owners.length];
  }

  /** Binary search for the first node at or clockwise of `position`. */
  #firstAtOrAfter(position: number): number {
    let low = 0;
    let high = this.#positions.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#positions[mid] as number) < position) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
