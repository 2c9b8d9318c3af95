import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  BoundedSet,
  MAX_BOUNDED_SET_CAPACITY,
} from "../../src/pipeline/index.js";

describe("BoundedSet", () => {
  it("refuses a capacity that is not an integer in range", () => {
    const tooBig = MAX_BOUNDED_SET_CAPACITY + 1;
    for (const capacity of [0, -1, 1.5, Number.NaN, Infinity, tooBig]) {
      assert.throws(() => new BoundedSet(capacity), RangeError);
    }
  });

  describe("add", () => {
    it("reports whether the key was new", () => {
      const set = new BoundedSet<string>(3);

      assert.equal(set.add("a"), true);
      assert.equal(set.add("a"), false);
      assert.equal(set.has("a"), true);
      assert.equal(set.has("b"), false);
    });

    it("evicts the oldest key once full", () => {
      const set = new BoundedSet<string>(3);

      for (const key of ["a", "b", "c", "d"]) {
        set.add(key);
      }

      assert.equal(set.size, 3);
      assert.deepEqual([...set], ["b", "c", "d"]);
    });

    it("does not refresh a key added again (FIFO, not LRU)", () => {
      const set = new BoundedSet<string>(2);

      set.add("a");
      set.add("b");
      set.add("a");
      set.add("c");

      assert.deepEqual([...set], ["b", "c"]);
    });

    it("stays at capacity under a long churn of new keys", () => {
      const set = new BoundedSet<number>(1_000);

      for (let key = 0; key < 200_000; key += 1) {
        set.add(key);
      }

      assert.equal(set.size, 1_000);
      assert.equal(set.has(198_999), false);
      assert.equal(set.has(199_000), true);
      assert.equal(set.has(199_999), true);
    });
  });

  it("keeps its memory flat under a churn of a million keys", () => {
    // Expose gc so the heap is measured without garbage in it.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const set = new BoundedSet<string>(10_000);
    let next = 0;
    const churn = (count: number) => {
      for (let i = 0; i < count; i += 1) {
        set.add(`trades.BTC-USD\u0000${next}`);
        next += 1;
      }
    };
    churn(100_000);
    gc();
    const before = process.memoryUsage().heapUsed;

    churn(1_000_000);
    gc();
    const grownBytes = process.memoryUsage().heapUsed - before;

    // Keeping every key would take tens of MiB; noise stays well under 2.
    assert.ok(grownBytes < 2 * 1024 * 1024, `heap grew ${grownBytes} bytes`);
  });

  it("forgets everything on clear", () => {
    const set = new BoundedSet<string>(2);
    set.add("a");

    set.clear();

    assert.equal(set.size, 0);
    assert.equal(set.add("a"), true);
  });
});
