import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Candidate } from "../../src/proxy/balancer.js";
import { createBalancer } from "../../src/proxy/balancer.js";
import { HashRing } from "../../src/proxy/hash-ring.js";

function candidates(ids: string[], weights: number[] = []): Candidate[] {
  return ids.map((id, i) => ({ id, weight: weights[i] ?? 1, load: 0 }));
}

function tally(picks: (Candidate | undefined)[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const pick of picks) {
    assert.ok(pick !== undefined);
    counts.set(pick.id, (counts.get(pick.id) ?? 0) + 1);
  }
  return counts;
}

describe("round-robin", () => {
  it("rotates through equal backends in turn", () => {
    const rr = createBalancer({ type: "round-robin" });
    const list = candidates(["a", "b", "c"]);

    const picks = Array.from({ length: 6 }, () => rr.pick(list, undefined));

    assert.deepEqual(
      picks.map((p) => p?.id),
      ["a", "b", "c", "a", "b", "c"],
    );
  });

  it("gives each backend its weight's share, interleaved", () => {
    const rr = createBalancer({ type: "round-robin" });
    const list = candidates(["a", "b"], [3, 1]);

    const picks = Array.from({ length: 8 }, () => rr.pick(list, undefined));

    assert.deepEqual(Object.fromEntries(tally(picks)), { a: 6, b: 2 });
    assert.deepEqual(
      picks.slice(0, 4).map((p) => p?.id),
      ["a", "a", "b", "a"],
    );
  });

  it("keeps spreading evenly when the candidate list changes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), (n) => {
        const rr = createBalancer({ type: "round-robin" });
        rr.pick(candidates(["gone", "x"]), undefined);
        const ids = Array.from({ length: n }, (_, i) => `b${i}`);
        const list = candidates(ids);
        const picks = Array.from({ length: n * 10 }, () =>
          rr.pick(list, undefined),
        );
        for (const count of tally(picks).values()) assert.equal(count, 10);
      }),
    );
  });

  it("picks nothing from no candidates", () => {
    assert.equal(
      createBalancer({ type: "round-robin" }).pick([], "k"),
      undefined,
    );
  });
});

describe("least-connections", () => {
  it("picks the backend with the least load per weight", () => {
    const lc = createBalancer({ type: "least-connections" });
    const list: Candidate[] = [
      { id: "a", weight: 1, load: 3 },
      { id: "b", weight: 2, load: 4 },
      { id: "c", weight: 1, load: 1 },
    ];

    assert.equal(lc.pick(list, undefined)?.id, "c");
  });

  it("rotates among tied backends", () => {
    const lc = createBalancer({ type: "least-connections" });
    const list = candidates(["a", "b", "c"]);

    const picks = Array.from({ length: 9 }, () => lc.pick(list, undefined));

    assert.deepEqual([...tally(picks).values()], [3, 3, 3]);
  });
});

describe("hash", () => {
  const hash = () => createBalancer({ type: "hash", header: "x-user" });

  it("keeps a key on the same backend", () => {
    const balancer = hash();
    const list = candidates(["a", "b", "c", "d"]);
    const first = balancer.pick(list, "user-42")?.id;

    for (let i = 0; i < 20; i++) {
      assert.equal(balancer.pick(list, "user-42")?.id, first);
    }
  });

  it("spreads requests without a key round-robin", () => {
    const balancer = hash();
    const list = candidates(["a", "b"]);
    const ids = [0, 1, 2, 3].map(() => balancer.pick(list, undefined)?.id);
    assert.deepEqual(ids, ["a", "b", "a", "b"]);
  });

  it("moves only the keys of a backend that leaves", () => {
    const balancer = hash();
    const all = candidates(["a", "b", "c", "d"]);
    const without = all.filter((c) => c.id !== "c");

    for (let k = 0; k < 500; k++) {
      const key = `key-${k}`;
      const before = balancer.pick(all, key)?.id;
      const after = balancer.pick(without, key)?.id;
      if (before !== "c") assert.equal(after, before, key);
    }
  });
});

describe("HashRing", () => {
  const KEYS = Array.from({ length: 4000 }, (_, k) => `session-${k}`);
  const ring = (ids: string[]) =>
    new HashRing(ids.map((id) => ({ id, weight: 1 })));
  const idsArb = fc.uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,12}$/), {
    minLength: 2,
    maxLength: 8,
  });

  it("gives each of n backends about 1/n of the keys", () => {
    fc.assert(
      fc.property(idsArb, (ids) => {
        const r = ring(ids);
        const counts = new Map<string, number>();
        for (const key of KEYS) {
          const owner = r.owner(key) as string;
          counts.set(owner, (counts.get(owner) ?? 0) + 1);
        }
        for (const id of ids) {
          const share = ((counts.get(id) ?? 0) / KEYS.length) * ids.length;
          assert.ok(share > 0.6 && share < 1.4, `${id} has ${share}/n`);
        }
      }),
      { numRuns: 15 },
    );
  });

  it("moves about 1/(n+1) of the keys, all to an added backend", () => {
    fc.assert(
      fc.property(idsArb, fc.constant("added-backend"), (ids, added) => {
        fc.pre(!ids.includes(added));
        const before = ring(ids);
        const after = ring([...ids, added]);
        let moved = 0;
        for (const key of KEYS) {
          const owner = after.owner(key);
          if (owner === before.owner(key)) continue;
          assert.equal(owner, added, `${key} moved between old backends`);
          moved += 1;
        }
        const fair = KEYS.length / (ids.length + 1);
        assert.ok(moved > 0.6 * fair && moved < 1.4 * fair, `moved ${moved}`);
      }),
      { numRuns: 15 },
    );
  });

  it("does not depend on the order of its members", () => {
    const a = ring(["x", "y", "z"]);
    const b = ring(["z", "x", "y"]);
    for (const key of KEYS.slice(0, 200)) {
      assert.equal(a.owner(key), b.owner(key));
    }
  });

  it("owns nothing when empty", () => {
    assert.equal(ring([]).owner("k"), undefined);
  });
});
