import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { SourceMessage } from "../../src/envelope/index.js";
import { CONTENT_TYPE_JSON } from "../../src/envelope/index.js";
import {
  type ReplayItem,
  TopicError,
  TopicGraph,
  type TopicGraphOptions,
} from "../../src/topics/index.js";

function message(topic = "t", n = 0): SourceMessage {
  return {
    topic,
    source: "vendor-a",
    ingestTime: 1_000,
    data: Buffer.from(`{"n":${n}}`),
    contentType: CONTENT_TYPE_JSON,
  };
}

/** Replay items in a form that is easy to compare: `m3`, `gap 1-2 why`. */
function describeItems(items: readonly ReplayItem[]): string[] {
  return items.map((item) => {
    if (item.type === "message") return `m${item.envelope.seq}`;
    if (item.type === "gap") {
      return `gap ${item.fromSeq}-${item.toSeq} ${item.reason}`;
    }
    return `reset ${item.epoch === undefined ? "-" : "new"} ${item.reason}`;
  });
}

/** A graph with a settable clock, and `publishN` to fill topic `t`. */
function setup(options: TopicGraphOptions = {}) {
  const clock = { now: 0 };
  const graph = new TopicGraph({ now: () => clock.now, ...options });
  const publishN = (n: number) => {
    for (let i = 0; i < n; i++) graph.publish(message());
  };
  const epoch = () => graph.get("t")?.epoch as string;
  return { clock, graph, publishN, epoch };
}

describe("TopicGraph history", () => {
  it("replays every message after the resume point", () => {
    const { graph, publishN, epoch } = setup();
    publishN(5);

    const items = graph.replay("t", { epoch: epoch(), seq: 2 });

    assert.deepEqual(describeItems(items), ["m3", "m4", "m5"]);
    const first = items[0];
    assert.equal(first?.type === "message" && first.envelope.epoch, epoch());
  });

  it("replays nothing to a subscriber that is up to date or ahead", () => {
    const { graph, publishN, epoch } = setup();
    publishN(3);

    assert.deepEqual(graph.replay("t", { epoch: epoch(), seq: 3 }), []);
    assert.deepEqual(graph.replay("t", { epoch: epoch(), seq: 99 }), []);
  });

  it("keeps at most historyMessages and announces the rest as expired", () => {
    const { graph, publishN, epoch } = setup({ historyMessages: 3 });
    publishN(5);

    const items = graph.replay("t", { epoch: epoch(), seq: 0 });

    assert.deepEqual(describeItems(items), [
      "gap 1-2 history-expired",
      "m3",
      "m4",
      "m5",
    ]);
    assert.equal(graph.get("t")?.historyItems, 3);
  });

  it("keeps no history with historyMessages 0", () => {
    const { graph, publishN, epoch } = setup({ historyMessages: 0 });
    publishN(4);

    const items = graph.replay("t", { epoch: epoch(), seq: 1 });

    assert.deepEqual(describeItems(items), ["gap 2-4 history-expired"]);
    assert.equal(graph.get("t")?.historyItems, 0);
  });

  it("drops messages older than historyMaxAgeMs, also without publishing", () => {
    const { clock, graph, epoch } = setup({ historyMaxAgeMs: 1_000 });
    for (const at of [0, 500, 1_000, 1_600]) {
      clock.now = at;
      graph.publish(message());
    }

    const at1600 = graph.replay("t", { epoch: epoch(), seq: 0 });
    clock.now = 2_100;
    const at2100 = graph.replay("t", { epoch: epoch(), seq: 0 });

    assert.deepEqual(describeItems(at1600), [
      "gap 1-2 history-expired",
      "m3",
      "m4",
    ]);
    assert.deepEqual(describeItems(at2100), ["gap 1-3 history-expired", "m4"]);
  });

  it("keeps messages of any age with historyMaxAgeMs 0", () => {
    const { clock, graph, publishN, epoch } = setup({ historyMaxAgeMs: 0 });
    publishN(2);
    clock.now = 10 ** 12;

    const items = graph.replay("t", { epoch: epoch(), seq: 0 });

    assert.deepEqual(describeItems(items), ["m1", "m2"]);
  });

  it("rejects history bounds that are not integers >= 0", () => {
    for (const bad of [-1, 0.5, Number.NaN]) {
      assert.throws(() => new TopicGraph({ historyMessages: bad }), RangeError);
      assert.throws(() => new TopicGraph({ historyMaxAgeMs: bad }), RangeError);
    }
  });
});

describe("TopicGraph.publishGap", () => {
  it("reserves the seqs it announces, so numbering stays contiguous", () => {
    const { graph, publishN, epoch } = setup();
    publishN(2);

    const gap = graph.publishGap("t", 3, "upstream lost them");
    const next = graph.publish(message());

    assert.deepEqual(gap, {
      type: "gap",
      topic: "t",
      epoch: epoch(),
      fromSeq: 3,
      toSeq: 5,
      reason: "upstream lost them",
    });
    assert.equal(next.seq, 6);
  });

  it("counts gaps and missed seqs per topic", () => {
    const { graph, publishN } = setup();
    publishN(1);
    graph.publishGap("t", 3, "a");
    graph.publishGap("t", 1, "b");

    const info = graph.get("t");

    assert.equal(info?.gaps, 2);
    assert.equal(info?.missedMessages, 4);
    assert.equal(info?.messages, 1);
    assert.equal(info?.seq, 5);
  });

  it("replays the gap in its place, cut when the point is inside it", () => {
    const { graph, publishN, epoch } = setup();
    publishN(1);
    graph.publishGap("t", 3, "lost");
    publishN(1);

    const fromOne = graph.replay("t", { epoch: epoch(), seq: 1 });
    const fromThree = graph.replay("t", { epoch: epoch(), seq: 3 });

    assert.deepEqual(describeItems(fromOne), ["gap 2-4 lost", "m5"]);
    assert.deepEqual(describeItems(fromThree), ["gap 4-4 lost", "m5"]);
  });

  it("keeps an evicted message's hole apart from a held gap", () => {
    const { graph, publishN, epoch } = setup({ historyMessages: 3 });
    publishN(1);
    graph.publishGap("t", 3, "lost");
    publishN(2);

    const items = graph.replay("t", { epoch: epoch(), seq: 0 });

    assert.deepEqual(describeItems(items), [
      "gap 1-1 history-expired",
      "gap 2-4 lost",
      "m5",
      "m6",
    ]);
  });

  it("creates a topic it has not seen, in a fresh epoch", () => {
    const { graph } = setup();

    const gap = graph.publishGap("fresh", 2, "lost");

    assert.equal(gap.fromSeq, 1);
    assert.equal(gap.epoch, graph.get("fresh")?.epoch);
    assert.equal(graph.publish(message("fresh")).seq, 3);
  });

  it("rejects a count that is not a positive integer and changes nothing", () => {
    const { graph, publishN } = setup();
    publishN(2);

    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => graph.publishGap("t", bad, "x"), RangeError);
    }

    assert.equal(graph.get("t")?.seq, 2);
    assert.equal(graph.get("t")?.gaps, 0);
  });

  it("rejects an invalid topic with a TopicError and creates nothing", () => {
    const { graph } = setup();

    assert.throws(() => graph.publishGap("a..b", 1, "x"), TopicError);
    assert.throws(() => graph.resetEpoch("a.*", "x"), TopicError);

    assert.equal(graph.size, 0);
  });
});

describe("TopicGraph.resetEpoch", () => {
  it("starts a new epoch whose seqs restart at 1, history dropped", () => {
    const { graph, publishN, epoch } = setup();
    publishN(3);
    const old = epoch();

    const reset = graph.resetEpoch("t", "upstream restarted");
    const next = graph.publish(message());

    assert.deepEqual(reset, {
      type: "reset",
      topic: "t",
      epoch: epoch(),
      reason: "upstream restarted",
    });
    assert.notEqual(reset.epoch, old);
    assert.equal(next.seq, 1);
    assert.equal(next.epoch, reset.epoch);
    assert.equal(graph.get("t")?.resets, 1);
    assert.equal(graph.get("t")?.historyItems, 1);
  });

  it("creates a topic it has not seen without counting a reset", () => {
    const { graph } = setup();

    const reset = graph.resetEpoch("fresh", "x");

    assert.equal(reset.epoch, graph.get("fresh")?.epoch);
    assert.equal(graph.get("fresh")?.resets, 0);
    assert.equal(graph.get("fresh")?.seq, 0);
  });
});

describe("TopicGraph.replay", () => {
  it("answers an old epoch with a reset, then the new epoch's history", () => {
    const { graph, publishN, epoch } = setup();
    publishN(3);
    const old = epoch();
    graph.resetEpoch("t", "restart");
    publishN(2);

    const items = graph.replay("t", { epoch: old, seq: 3 });

    assert.deepEqual(describeItems(items), [
      "reset new epoch-unknown",
      "m1",
      "m2",
    ]);
    assert.equal(items[0]?.type === "reset" && items[0].epoch, epoch());
  });

  it("announces the new epoch's expired seqs after the reset", () => {
    const { graph, publishN } = setup({ historyMessages: 2 });
    publishN(4);

    const items = graph.replay("t", { epoch: "not-an-epoch", seq: 10 });

    assert.deepEqual(describeItems(items), [
      "reset new epoch-unknown",
      "gap 1-2 history-expired",
      "m3",
      "m4",
    ]);
  });

  it("answers a topic it has never seen with a reset without epoch", () => {
    const { graph } = setup();

    const items = graph.replay("never.seen", { epoch: "e1", seq: 4 });

    assert.deepEqual(items, [
      { type: "reset", topic: "never.seen", reason: "epoch-unknown" },
    ]);
    assert.equal(graph.size, 0, "a replay creates no topic");
  });

  it("rejects an invalid topic or seq", () => {
    const { graph, publishN, epoch } = setup();
    publishN(1);

    assert.throws(
      () => graph.replay("a b", { epoch: "e", seq: 0 }),
      TopicError,
    );
    for (const seq of [-1, 0.5, Number.NaN]) {
      assert.throws(
        () => graph.replay("t", { epoch: epoch(), seq }),
        RangeError,
      );
    }
  });

  it("gives exactly the seqs after the point, each once, for any history", () => {
    const op = fc.oneof(
      fc.constant(0),
      fc.integer({ min: 1, max: 4 }), // a gap of that many seqs
    );
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 1, maxLength: 60 }),
        fc.nat(10),
        fc.nat(70),
        (ops, historyMessages, point) => {
          const { graph, epoch } = setup({ historyMessages });
          const published = new Map<number, unknown>();
          for (const count of ops) {
            if (count === 0) {
              const envelope = graph.publish(message());
              published.set(envelope.seq, envelope);
            } else {
              graph.publishGap("t", count, "lost");
            }
          }
          const last = graph.get("t")?.seq as number;
          const seq = Math.min(point, last);

          const covered: number[] = [];
          for (const item of graph.replay("t", { epoch: epoch(), seq })) {
            assert.notEqual(item.type, "reset");
            if (item.type === "message") {
              assert.equal(item.envelope, published.get(item.envelope.seq));
              covered.push(item.envelope.seq);
            } else if (item.type === "gap") {
              for (let s = item.fromSeq; s <= item.toSeq; s++) covered.push(s);
            }
          }

          const expected = Array.from(
            { length: last - seq },
            (_, i) => seq + 1 + i,
          );
          assert.deepEqual(covered, expected);
        },
      ),
    );
  });
});
