import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Ring } from "../../src/topics/ring.js";

/** The ring's items, oldest first. */
function contents<T>(ring: Ring<T>): T[] {
  return Array.from({ length: ring.length }, (_, i) => ring.at(i) as T);
}

describe("Ring", () => {
  it("keeps the newest items up to its capacity, evicting the oldest", () => {
    const ring = new Ring<number>(3);

    const evicted = [1, 2, 3, 4, 5].map((n) => ring.push(n));

    assert.deepEqual(evicted, [undefined, undefined, undefined, 1, 2]);
    assert.deepEqual(contents(ring), [3, 4, 5]);
  });

  it("holds nothing with capacity 0", () => {
    const ring = new Ring<string>(0);

    assert.equal(ring.push("a"), "a");
    assert.equal(ring.length, 0);
    assert.equal(ring.at(0), undefined);
  });

  it("answers undefined outside its items", () => {
    const ring = new Ring<number>(4);
    ring.push(7);

    assert.equal(ring.at(-1), undefined);
    assert.equal(ring.at(1), undefined);
    assert.equal(new Ring<number>(2).shift(), undefined);
  });

  it("rejects a capacity that is not an integer >= 0", () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new Ring(bad), RangeError, String(bad));
    }
  });

  it("behaves like an array cut to its capacity, whatever the operations", () => {
    const op = fc.oneof(
      fc.record({ push: fc.integer() }),
      fc.constant({ shift: true as const }),
      fc.constant({ clear: true as const }),
    );
    fc.assert(
      fc.property(fc.nat(20), fc.array(op, { maxLength: 200 }), (cap, ops) => {
        const ring = new Ring<number>(cap);
        let model: number[] = [];
        for (const o of ops) {
          if ("push" in o) {
            ring.push(o.push);
            model.push(o.push);
            while (model.length > cap) model.shift();
          } else if ("shift" in o) {
            assert.equal(ring.shift(), model.shift());
          } else {
            ring.clear();
            model = [];
          }
          assert.deepEqual(contents(ring), model);
        }
      }),
    );
  });
});
