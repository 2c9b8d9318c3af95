import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SubscriptionIndex, TopicError } from "../../src/topics/index.js";

/** match() as a sorted plain array, for order-free comparison. */
function matched(index: SubscriptionIndex<string>, topic: string) {
  return [...index.match(topic)].sort();
}

describe("SubscriptionIndex", () => {
  describe("add", () => {
    it("reports whether the pair is new and counts pairs", () => {
      const index = new SubscriptionIndex<string>();

      assert.equal(index.add("a.b", "s1"), true);
      assert.equal(index.add("a.b", "s1"), false);
      assert.equal(index.add("a.b", "s2"), true);
      assert.equal(index.add("a.*", "s1"), true);
      assert.equal(index.add("a.*", "s1"), false);

      assert.equal(index.size, 3);
      assert.equal(index.has("a.*", "s1"), true);
      assert.equal(index.has("a.*", "s2"), false);
    });

    it("rejects an invalid pattern and keeps what it had", () => {
      const index = new SubscriptionIndex<string>();
      index.add("a.b", "s1");

      for (const bad of ["a.>.b", "", "a..b", "a.b*", "a b"]) {
        assert.throws(
          () => index.add(bad, "s2"),
          (err: unknown) =>
            err instanceof TopicError && err.code === "INVALID_PATTERN",
          bad,
        );
      }

      assert.equal(index.size, 1);
      assert.deepEqual(matched(index, "a.b"), ["s1"]);
    });
  });

  describe("match", () => {
    it("finds exact, '*' and '>' subscribers and no others", () => {
      const index = new SubscriptionIndex<string>();
      index.add("trades.BTC", "exact");
      index.add("trades.*", "star");
      index.add("trades.>", "rest");
      index.add("*.BTC", "star-first");
      index.add(">", "all");
      index.add("book.>", "book");
      index.add("trades.*.x", "deeper");

      assert.deepEqual(matched(index, "trades.BTC"), [
        "all",
        "exact",
        "rest",
        "star",
        "star-first",
      ]);
      assert.deepEqual(matched(index, "trades.ETH.x"), [
        "all",
        "deeper",
        "rest",
      ]);
      assert.deepEqual(matched(index, "trades"), ["all"]);
      assert.deepEqual(matched(index, "book.x.y"), ["all", "book"]);
    });

    it("lists a subscriber once when several of its patterns match", () => {
      const index = new SubscriptionIndex<string>();
      for (const p of ["a.b.c", "a.*.c", "a.>", "*.b.*", ">", "a.b.>"]) {
        index.add(p, "s1");
      }
      index.add("a.b.c", "s2");

      assert.deepEqual(matched(index, "a.b.c"), ["s1", "s2"]);
    });

    it("returns an empty result for a topic nobody wants", () => {
      const index = new SubscriptionIndex<string>();
      index.add("a.*", "s1");

      assert.deepEqual(index.match("b.c"), []);
      assert.deepEqual(index.match("a"), []);
    });

    it("returns a frozen array that callers cannot corrupt", () => {
      const index = new SubscriptionIndex<string>();
      index.add("a.b", "s1");
      const result = index.match("a.b") as string[];

      assert.throws(() => result.push("intruder"), TypeError);
      assert.deepEqual(matched(index, "a.b"), ["s1"]);
    });

    it("sees every change after a cached result", () => {
      const index = new SubscriptionIndex<string>();
      index.add("a.b", "s1");
      assert.deepEqual(matched(index, "a.b"), ["s1"]);

      index.add("a.*", "s2");
      assert.deepEqual(matched(index, "a.b"), ["s1", "s2"]);
      index.add("a.b", "s3");
      assert.deepEqual(matched(index, "a.b"), ["s1", "s2", "s3"]);
      index.remove("a.b", "s1");
      assert.deepEqual(matched(index, "a.b"), ["s2", "s3"]);
      index.remove("a.*", "s2");
      assert.deepEqual(matched(index, "a.b"), ["s3"]);
    });

    it("keeps the cache within its bound", () => {
      const index = new SubscriptionIndex<string>({ maxCachedTopics: 3 });
      index.add("t.>", "s1");

      for (let i = 0; i < 10; i++) index.match(`t.${i}`);

      assert.ok(index.stats().cachedTopics <= 3);
      assert.deepEqual(matched(index, "t.9"), ["s1"]);
    });

    it("works with the cache turned off", () => {
      const index = new SubscriptionIndex<string>({ maxCachedTopics: 0 });
      index.add("t.*", "s1");

      assert.deepEqual(matched(index, "t.x"), ["s1"]);
      assert.equal(index.stats().cachedTopics, 0);
    });
  });

  describe("remove", () => {
    it("removes only the given pair", () => {
      const index = new SubscriptionIndex<string>();
      index.add("a.*", "s1");
      index.add("a.*", "s2");
      index.add("a.b", "s1");

      assert.equal(index.remove("a.*", "s1"), true);

      assert.equal(index.size, 2);
      assert.deepEqual(matched(index, "a.b"), ["s1", "s2"]);
      assert.deepEqual(matched(index, "a.c"), ["s2"]);
    });

    it("returns false for pairs it does not hold", () => {
      const index = new SubscriptionIndex<string>();
      index.add("a.*", "s1");

      assert.equal(index.remove("a.*", "s2"), false);
      assert.equal(index.remove("a.>", "s1"), false);
      assert.equal(index.remove("a.*.c", "s1"), false);
      assert.equal(index.remove("a.b", "s1"), false);
      assert.equal(index.remove("a.>.b", "s1"), false);
      assert.equal(index.remove("", "s1"), false);
      assert.equal(index.size, 1);
    });

    it("prunes the trie back to empty after churn", () => {
      const index = new SubscriptionIndex<string>();
      const patterns = ["a.b.*", "a.*.c.>", "*.*", ">", "x.y.z.>", "a.b.c.*"];

      for (let round = 0; round < 3; round++) {
        for (const p of patterns) index.add(p, `s${round}`);
        assert.ok(index.stats().trieNodes > 0);
        for (const p of patterns)
          assert.equal(index.remove(p, `s${round}`), true);
      }

      assert.deepEqual(index.stats(), {
        pairs: 0,
        exactPatterns: 0,
        wildcardPatterns: 0,
        trieNodes: 0,
        cachedTopics: 0,
      });
      assert.deepEqual([...index.patterns()], []);
    });

    it("prunes a branch but keeps its still-used neighbours", () => {
      const index = new SubscriptionIndex<string>();
      index.add("a.b.*", "s1");
      index.add("a.c.*", "s1");
      const before = index.stats().trieNodes;

      index.remove("a.b.*", "s1");

      assert.equal(index.stats().trieNodes, before - 2);
      assert.deepEqual(matched(index, "a.c.x"), ["s1"]);
      assert.deepEqual(matched(index, "a.b.x"), []);
    });
  });

  describe("patterns", () => {
    it("lists every pattern with its subscribers", () => {
      const index = new SubscriptionIndex<string>();
      index.add("a.b", "s1");
      index.add("a.b", "s2");
      index.add("a.*", "s1");
      index.add("a.>", "s3");
      index.add(">", "s4");
      index.add("*.x.*", "s5");

      const listed = [...index.patterns()]
        .map(([p, subs]) => [p, [...subs].sort()] as const)
        .sort(([a], [b]) => (a < b ? -1 : 1));

      assert.deepEqual(listed, [
        ["*.x.*", ["s5"]],
        [">", ["s4"]],
        ["a.*", ["s1"]],
        ["a.>", ["s3"]],
        ["a.b", ["s1", "s2"]],
      ]);
    });
  });
});
