import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import {
  type GroupEvent,
  SequenceArbiter,
  type SequenceArbiterOptions,
} from "../../src/pipeline/index.js";
import { describeEvent, seqMessage } from "./events.js";
import { ManualClock } from "./manual-clock.js";
import { message } from "./messages.js";

describe("SequenceArbiter", () => {
  let clock: ManualClock;
  let events: GroupEvent[];

  beforeEach(() => {
    clock = new ManualClock();
    events = [];
  });

  function create(options: SequenceArbiterOptions = {}) {
    return new SequenceArbiter({ gapWaitMs: 50, clock, ...options }, (e) =>
      events.push(e),
    );
  }

  /** Feeds `[source, seq]` pairs in order. */
  function feed(arbiter: SequenceArbiter, arrivals: [string, number][]) {
    for (const [source, seq] of arrivals) {
      arbiter.admit(seqMessage(source, seq));
    }
  }

  const seen = () => events.map(describeEvent);

  it("merges two lines that drop different messages, complete, in order", () => {
    const arbiter = create();

    feed(arbiter, [
      ["a", 1],
      ["b", 1],
      ["b", 2],
      ["a", 3],
      ["b", 3],
      ["a", 4],
      ["b", 5],
      ["a", 5],
    ]);

    assert.deepEqual(seen(), ["a:1", "b:2", "a:3", "a:4", "b:5"]);
    assert.equal(clock.pending, 0);
    assert.equal(arbiter.stats.duplicates, 3);
  });

  it("announces a number both lines lost once, after gapWaitMs", () => {
    const arbiter = create();
    feed(arbiter, [
      ["a", 1],
      ["b", 1],
      ["a", 2],
      ["a", 4],
      ["b", 2],
      ["b", 4],
      ["a", 5],
    ]);

    clock.advance(49);
    assert.deepEqual(seen(), ["a:1", "a:2"]);

    clock.advance(1);
    feed(arbiter, [
      ["b", 5],
      ["a", 6],
    ]);
    assert.deepEqual(seen(), ["a:1", "a:2", "gap:3-3", "a:4", "a:5", "a:6"]);
    const gap = events[2];
    assert.deepEqual(gap, {
      type: "gap",
      topic: "trades.BTC-USD",
      count: 1,
      fromUpstreamSeq: 3,
      toUpstreamSeq: 3,
      reason: "missing from every source",
    });
    assert.deepEqual(arbiter.stats.sequence, {
      gaps: 1,
      missing: 1,
      resets: 0,
      stale: 0,
      held: 0,
    });
  });

  it("delivers a held run as soon as the other line fills the hole", () => {
    const arbiter = create();
    feed(arbiter, [
      ["a", 1],
      ["a", 3],
      ["a", 4],
    ]);
    clock.advance(30);

    feed(arbiter, [["b", 2]]);
    clock.advance(100);

    assert.deepEqual(seen(), ["a:1", "b:2", "a:3", "a:4"]);
    assert.equal(clock.pending, 0);
  });

  it("gives each hole the full wait from its own held message", () => {
    const arbiter = create();
    feed(arbiter, [
      ["a", 1],
      ["a", 3],
    ]);
    clock.advance(40);
    feed(arbiter, [
      ["b", 2],
      ["a", 5],
    ]);

    // The timer armed for the first hole fires at 50: 5 has waited 10.
    clock.advance(20);
    feed(arbiter, [["b", 4]]);
    clock.advance(100);

    assert.deepEqual(seen(), ["a:1", "b:2", "a:3", "b:4", "a:5"]);
  });

  it("announces several holes, each with its own range", () => {
    const arbiter = create();
    feed(arbiter, [
      ["a", 1],
      ["a", 4],
      ["a", 5],
      ["b", 9],
    ]);

    clock.advance(50);

    assert.deepEqual(seen(), [
      "a:1",
      "gap:2-3",
      "a:4",
      "a:5",
      "gap:6-8",
      "b:9",
    ]);
    const counts = events.flatMap((e) => (e.type === "gap" ? [e.count] : []));
    assert.deepEqual(counts, [2, 3]);
  });

  it("announces at once with gapWaitMs 0", () => {
    const arbiter = create({ gapWaitMs: 0 });

    feed(arbiter, [
      ["a", 1],
      ["a", 3],
      ["b", 2],
    ]);

    assert.deepEqual(seen(), ["a:1", "gap:2-2", "a:3"]);
    assert.equal(clock.pending, 0);
  });

  it("drops out-of-order and duplicate copies without a duplicate", () => {
    const arbiter = create();

    feed(arbiter, [
      ["a", 1],
      ["a", 3],
      ["b", 3],
      ["a", 2],
      ["b", 2],
      ["b", 1],
      ["a", 3],
    ]);

    assert.deepEqual(seen(), ["a:1", "a:2", "a:3"]);
    assert.equal(arbiter.stats.duplicates, 4);
    assert.deepEqual(arbiter.stats.sources, {
      a: { accepted: 3, duplicates: 1 },
      b: { accepted: 0, duplicates: 3 },
    });
  });

  it("takes the first message of a topic as the start, per topic", () => {
    const arbiter = create();

    arbiter.admit(seqMessage("a", 1_000, "t.x"));
    arbiter.admit(seqMessage("a", 7, "t.y"));
    arbiter.admit(seqMessage("b", 1_001, "t.x"));
    clock.advance(100);

    assert.deepEqual(seen(), ["a:1000", "a:7", "b:1001"]);
  });

  it("passes a message without a safe-integer seq as unkeyed", () => {
    const arbiter = create();
    feed(arbiter, [["a", 1]]);

    for (const upstreamSeq of [undefined, 2.5, Number.NaN, 2 ** 60]) {
      arbiter.admit(message({ source: "a", upstreamSeq }));
    }
    feed(arbiter, [["a", 2]]);

    assert.equal(events.length, 6);
    assert.equal(arbiter.stats.unkeyed, 4);
    assert.deepEqual(seen().at(-1), "a:2");
  });

  it("gives up on the lowest hole when the held limit is passed", () => {
    const arbiter = create({ maxHeldPerTopic: 2 });

    feed(arbiter, [
      ["a", 1],
      ["a", 3],
      ["a", 5],
      ["a", 6],
    ]);

    assert.deepEqual(seen(), ["a:1", "gap:2-2", "a:3"]);
    const gap = events[1];
    assert.equal(gap?.type === "gap" && gap.reason, "hold limit reached");
    assert.equal(arbiter.stats.sequence.held, 2);
  });

  describe("a sequence reset", () => {
    const run = (from: number, to: number, source: string) =>
      Array.from(
        { length: to - from + 1 },
        (_, i) => [source, from + i] as [string, number],
      );

    it("emits one reset and lets the new numbers flow", () => {
      const arbiter = create();
      feed(arbiter, run(1, 100, "a"));
      events.length = 0;

      feed(arbiter, run(1, 3, "a"));

      assert.deepEqual(seen(), ["reset", "a:1", "a:2", "a:3"]);
      const reset = events[0];
      assert.equal(reset?.type, "reset");
      assert.match(
        reset?.type === "reset" ? reset.reason : "",
        /source "a" went back from 100 to 1/,
      );
    });

    it("treats a line that restarts after the other once, dropping its stragglers", () => {
      const arbiter = create();
      feed(arbiter, [...run(1, 100, "a"), ...run(1, 95, "b")]);
      events.length = 0;

      feed(arbiter, [
        ...run(1, 3, "a"),
        ...run(96, 100, "b"),
        ...run(1, 4, "b"),
        ...run(4, 5, "a"),
      ]);
      clock.advance(100);

      assert.deepEqual(seen(), ["reset", "a:1", "a:2", "a:3", "b:4", "a:5"]);
      assert.equal(arbiter.stats.sequence.stale, 5);
      assert.equal(arbiter.stats.sequence.resets, 1);
    });

    it("follows a line on the old numbering once the new one fell silent", () => {
      const arbiter = create({ resetGraceMs: 1_000 });
      feed(arbiter, [...run(1, 100, "a"), ...run(1, 100, "b")]);
      feed(arbiter, run(1, 2, "a"));
      events.length = 0;

      feed(arbiter, [["b", 101]]);
      clock.advance(1_000);
      feed(arbiter, [
        ["b", 102],
        ["b", 103],
      ]);

      assert.deepEqual(seen(), ["reset", "b:102", "b:103"]);
    });

    it("delivers what was held before announcing the reset", () => {
      const arbiter = create();
      feed(arbiter, [...run(1, 50, "a"), ["a", 52]]);
      events.length = 0;

      feed(arbiter, [["a", 1]]);

      assert.deepEqual(seen(), ["gap:51-51", "a:52", "reset", "a:1"]);
      assert.equal(clock.pending, 0);
    });

    it("is not a reset when a line reorders by less than the threshold", () => {
      const arbiter = create({ resetThreshold: 32 });
      feed(arbiter, run(1, 40, "a"));

      feed(arbiter, [["a", 9]]);

      assert.equal(arbiter.stats.sequence.resets, 0);
      assert.equal(arbiter.stats.duplicates, 1);
    });
  });

  it("cancels its timers on close", () => {
    const arbiter = create();
    feed(arbiter, [
      ["a", 1],
      ["a", 3],
    ]);
    assert.equal(clock.pending, 1);

    arbiter.close();
    clock.advance(1_000);

    assert.equal(clock.pending, 0);
    assert.deepEqual(seen(), ["a:1"]);
  });

  it("refuses options out of range", () => {
    const bad: SequenceArbiterOptions[] = [
      { gapWaitMs: -1 },
      { gapWaitMs: 1.5 },
      { maxHeldPerTopic: 0 },
      { resetThreshold: 0 },
      { resetGraceMs: Number.NaN },
    ];
    for (const options of bad) {
      assert.throws(() => create(options), RangeError);
    }
  });
});
