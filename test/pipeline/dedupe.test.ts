import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DedupeConfig } from "../../src/config/index.js";
import { createDedupe } from "../../src/pipeline/index.js";
import { message } from "./messages.js";

describe("createDedupe", () => {
  it("refuses a window that is not a positive integer", () => {
    assert.throws(() => createDedupe({ by: "id", window: 0 }), RangeError);
    assert.throws(
      () => createDedupe({ by: "content", window: -5 }),
      RangeError,
    );
  });

  it("refuses an unknown mode", () => {
    const config = { by: "hash" } as unknown as DedupeConfig;

    assert.throws(() => createDedupe(config), /unknown dedupe mode: hash/);
  });

  describe("by: id", () => {
    it("keeps the first copy of an id and drops the others", () => {
      const dedupe = createDedupe({ by: "id", window: 10 });

      const kept = [
        message({ id: "1", source: "a" }),
        message({ id: "1", source: "b" }),
        message({ id: "2", source: "b" }),
        message({ id: "2", source: "a" }),
      ].map((m) => dedupe.accept(m));

      assert.deepEqual(kept, [true, false, true, false]);
    });

    it("tells the same id on different topics apart", () => {
      const dedupe = createDedupe({ by: "id", window: 10 });

      assert.equal(dedupe.accept(message({ topic: "t.a", id: "1" })), true);
      assert.equal(dedupe.accept(message({ topic: "t.b", id: "1" })), true);
      assert.equal(dedupe.accept(message({ topic: "t.a", id: "1" })), false);
    });

    it("does not confuse a topic/id split at another place", () => {
      const dedupe = createDedupe({ by: "id", window: 10 });

      assert.equal(dedupe.accept(message({ topic: "t.a", id: "bc" })), true);
      assert.equal(dedupe.accept(message({ topic: "t.ab", id: "c" })), true);
    });

    it("still drops an id seen `window` distinct ids ago", () => {
      const window = 5;
      const dedupe = createDedupe({ by: "id", window });
      dedupe.accept(message({ id: "x" }));

      for (let i = 0; i < window - 1; i += 1) {
        dedupe.accept(message({ id: `other-${i}` }));
      }

      assert.equal(dedupe.accept(message({ id: "x" })), false);
    });

    it("passes again an id seen `window + 1` distinct ids ago", () => {
      const window = 5;
      const dedupe = createDedupe({ by: "id", window });
      dedupe.accept(message({ id: "x" }));

      for (let i = 0; i < window; i += 1) {
        dedupe.accept(message({ id: `other-${i}` }));
      }

      assert.equal(dedupe.accept(message({ id: "x" })), true);
    });

    it("passes a message without an id and counts it unkeyed", () => {
      const dedupe = createDedupe({ by: "id", window: 10 });

      assert.equal(dedupe.accept(message()), true);
      assert.equal(dedupe.accept(message()), true);
      assert.equal(dedupe.stats.unkeyed, 2);
      assert.equal(dedupe.stats.accepted, 2);
    });
  });

  describe("by: seq", () => {
    const seqs = (dedupe: ReturnType<typeof createDedupe>, values: number[]) =>
      values.filter((upstreamSeq) => dedupe.accept(message({ upstreamSeq })));

    it("keeps only sequences above the highest kept so far", () => {
      const dedupe = createDedupe({ by: "seq", gapWaitMs: 0 });

      assert.deepEqual(
        seqs(dedupe, [1, 2, 2, 1, 3, 5, 4, 5, 6]),
        [1, 2, 3, 5, 6],
      );
    });

    it("keeps a high mark per topic", () => {
      const dedupe = createDedupe({ by: "seq", gapWaitMs: 0 });

      assert.equal(
        dedupe.accept(message({ topic: "a", upstreamSeq: 9 })),
        true,
      );
      assert.equal(
        dedupe.accept(message({ topic: "b", upstreamSeq: 1 })),
        true,
      );
      assert.equal(
        dedupe.accept(message({ topic: "a", upstreamSeq: 2 })),
        false,
      );
    });

    it("accepts any finite first sequence, negative or zero", () => {
      const dedupe = createDedupe({ by: "seq", gapWaitMs: 0 });

      assert.deepEqual(seqs(dedupe, [-3, -3, 0, 0.5]), [-3, 0, 0.5]);
    });

    it("passes a message without a usable sequence as unkeyed", () => {
      const dedupe = createDedupe({ by: "seq", gapWaitMs: 0 });
      dedupe.accept(message({ upstreamSeq: 10 }));

      const kept = [undefined, Number.NaN, Infinity].map((upstreamSeq) =>
        dedupe.accept(message({ upstreamSeq })),
      );

      assert.deepEqual(kept, [true, true, true]);
      assert.equal(dedupe.stats.unkeyed, 3);
      // The high mark is still 10, not Infinity.
      assert.equal(dedupe.accept(message({ upstreamSeq: 11 })), true);
    });
  });

  describe("by: content", () => {
    it("drops a payload identical to one on the same topic", () => {
      const dedupe = createDedupe({ by: "content", window: 10 });
      const payload = { price: "1.5", qty: "2" };

      assert.equal(dedupe.accept(message({ payload, source: "a" })), true);
      assert.equal(dedupe.accept(message({ payload, source: "b" })), false);
      assert.equal(dedupe.accept(message({ payload, topic: "x.y" })), true);
    });

    it("compares the bytes when no fields are listed", () => {
      const dedupe = createDedupe({ by: "content", window: 10 });

      dedupe.accept(message({ data: Buffer.from('{"a":1,"b":2}') }));

      const reordered = message({ data: Buffer.from('{"b":2,"a":1}') });
      assert.equal(dedupe.accept(reordered), true);
    });

    it("dedupes payloads that differ only in fields not listed", () => {
      const dedupe = createDedupe({
        by: "content",
        window: 10,
        fields: ["price", "qty"],
      });
      const a = { price: "1.5", qty: "2", vendorTs: 111, venue: "A" };
      const b = { venue: "B", qty: "2", price: "1.5", vendorTs: 222 };

      assert.equal(dedupe.accept(message({ payload: a })), true);
      assert.equal(dedupe.accept(message({ payload: b })), false);
      const c = { ...a, qty: "3" };
      assert.equal(dedupe.accept(message({ payload: c })), true);
    });

    it("sorts keys inside listed fields before comparing", () => {
      const dedupe = createDedupe({
        by: "content",
        window: 10,
        fields: ["book"],
      });
      const a = { book: { bid: [1, 2], ask: { p: 3, q: 4 } } };
      const b = { book: { ask: { q: 4, p: 3 }, bid: [1, 2] } };
      const c = { book: { bid: [2, 1], ask: { p: 3, q: 4 } } };

      assert.equal(dedupe.accept(message({ payload: a })), true);
      assert.equal(dedupe.accept(message({ payload: b })), false);
      assert.equal(dedupe.accept(message({ payload: c })), true);
    });

    it("tells an absent field from a null one", () => {
      const dedupe = createDedupe({
        by: "content",
        window: 10,
        fields: ["a", "b"],
      });

      assert.equal(dedupe.accept(message({ payload: { a: 1 } })), true);
      const withNull = message({ payload: { a: 1, b: null } });
      assert.equal(dedupe.accept(withNull), true);
    });

    it("hashes the bytes of a payload that is not a JSON object", () => {
      const dedupe = createDedupe({
        by: "content",
        window: 10,
        fields: ["price"],
      });
      const texts = ["not json", "[1,2]", "42", "not json", "[1,2]"];

      const kept = texts.map((text) =>
        dedupe.accept(message({ data: Buffer.from(text) })),
      );

      assert.deepEqual(kept, [true, true, true, false, false]);
    });

    it("does not pick fields out of a JSON array", () => {
      const dedupe = createDedupe({
        by: "content",
        window: 10,
        fields: ["0", "length"],
      });

      assert.equal(dedupe.accept(message({ payload: ["a", "b"] })), true);
      assert.equal(dedupe.accept(message({ payload: ["a", "c"] })), true);
    });

    it("hashes the bytes when none of the fields is present", () => {
      const dedupe = createDedupe({
        by: "content",
        window: 10,
        fields: ["price"],
      });

      assert.equal(dedupe.accept(message({ payload: { hb: 1 } })), true);
      assert.equal(dedupe.accept(message({ payload: { hb: 2 } })), true);
      assert.equal(dedupe.accept(message({ payload: { hb: 2 } })), false);
    });

    it("forgets a hash `window` new hashes later", () => {
      const dedupe = createDedupe({ by: "content", window: 2 });
      const first = message({ payload: { n: 0 } });
      dedupe.accept(first);

      dedupe.accept(message({ payload: { n: 1 } }));
      assert.equal(dedupe.accept(first), false);
      dedupe.accept(message({ payload: { n: 2 } }));

      assert.equal(dedupe.accept(first), true);
    });
  });

  describe("by: none", () => {
    it("passes every message", () => {
      const dedupe = createDedupe({ by: "none" });
      const copy = message({ id: "1", upstreamSeq: 1 });

      assert.deepEqual(
        [copy, copy, copy].map((m) => dedupe.accept(m)),
        [true, true, true],
      );
      assert.equal(dedupe.stats.unkeyed, 0);
    });
  });

  describe("stats", () => {
    it("counts totals and wins per source", () => {
      const dedupe = createDedupe({ by: "id", window: 10 });
      const arrivals = [
        message({ id: "1", source: "a" }),
        message({ id: "1", source: "b" }),
        message({ id: "2", source: "b" }),
        message({ id: "2", source: "a" }),
        message({ id: "3", source: "a" }),
        message({ source: "b" }),
      ];

      for (const m of arrivals) {
        dedupe.accept(m);
      }

      assert.deepEqual(dedupe.stats, {
        accepted: 4,
        duplicates: 2,
        unkeyed: 1,
        sources: {
          a: { accepted: 2, duplicates: 1 },
          b: { accepted: 2, duplicates: 1 },
        },
      });
    });

    it("returns a snapshot that later messages do not change", () => {
      const dedupe = createDedupe({ by: "none" });
      const before = dedupe.stats;

      dedupe.accept(message({ source: "a" }));

      assert.equal(before.accepted, 0);
      assert.deepEqual(before.sources, {});
      assert.equal(dedupe.stats.sources.a?.accepted, 1);
    });
  });
});
