import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  EncodedEnvelope,
  SessionQueue,
  type SlowConsumerPolicy,
} from "../../src/serve/index.js";
import type { GapNotice } from "../../src/topics/index.js";
import { describeItems, envelope, ManualSink } from "./queue-support.js";

/**
 * The queue with a policy per message, as a session with subscriptions of
 * different policies gives it, and the stalled mode.
 */

/** A queue whose messages take the policy named for their topic. */
function queueWith(
  policies: Record<string, SlowConsumerPolicy>,
  maxMessages: number,
  stalledMaxMessages = 0,
) {
  const sink = new ManualSink(false);
  const queue = new SessionQueue(sink, {
    policy: "drop-oldest",
    policyOf: (message) => policies[message.envelope.topic],
    maxMessages,
    maxBytes: 1_000_000,
    stalledMaxMessages,
  });
  return { sink, queue };
}

function written(sink: ManualSink): string[] {
  return describeItems(sink.written);
}

function drain(sink: ManualSink, queue: SessionQueue): string[] {
  sink.open = true;
  queue.drain();
  return written(sink);
}

describe("SessionQueue with a policy per message", () => {
  it("drops droppable messages before it ever closes for disconnect ones", () => {
    const { sink, queue } = queueWith(
      { keep: "disconnect", news: "drop-oldest" },
      3,
    );
    queue.push(envelope("keep", 1));
    queue.push(envelope("news", 1));
    queue.push(envelope("news", 2));
    queue.push(envelope("keep", 2));
    queue.push(envelope("news", 3));

    assert.equal(sink.overflowed, undefined);
    assert.deepEqual(drain(sink, queue), [
      "keep#1",
      "gap news 1..2",
      "keep#2",
      "news#3",
    ]);
  });

  it("closes once the disconnect messages alone are over the limit", () => {
    const { sink, queue } = queueWith(
      { keep: "disconnect", news: "drop-oldest" },
      2,
    );
    queue.push(envelope("news", 1));
    queue.push(envelope("keep", 1));
    queue.push(envelope("keep", 2));
    assert.equal(sink.overflowed, undefined, "news#1 made room");
    queue.push(envelope("keep", 3));
    assert.match(sink.overflowed ?? "", /slow consumer: more than 2 messages/);
    const { accepted, delivered, dropped, queued } = queue.stats;
    assert.equal(accepted, delivered + dropped + queued);
  });

  it("conflates only conflate messages", () => {
    const { sink, queue } = queueWith({ px: "conflate", tr: "drop-oldest" }, 3);
    queue.push(envelope("tr", 1, "EUR"));
    queue.push(envelope("px", 1, "EUR"));
    queue.push(envelope("tr", 2, "EUR"));
    queue.push(envelope("px", 2, "EUR"));

    // The trade of the same key is older but not conflatable: the
    // superseded quote goes first.
    assert.deepEqual(drain(sink, queue), [
      "tr#1",
      "gap px 1..1",
      "tr#2",
      "px#2",
    ]);
  });
});

describe("a stalled SessionQueue", () => {
  it("drop-oldest keeps only the newest stalledMaxMessages", () => {
    const { sink, queue } = queueWith({ t: "drop-oldest" }, 1000, 2);
    queue.push(envelope("t", 1));
    queue.push(envelope("t", 2));
    queue.push(envelope("t", 3));
    queue.stall();
    assert.equal(queue.stalled, true);
    assert.equal(queue.stats.queued, 2, "trimmed when the stall is found");
    for (let seq = 4; seq <= 10; seq++) queue.push(envelope("t", seq));
    assert.equal(queue.stats.queued, 2);

    queue.resume();
    assert.deepEqual(drain(sink, queue), ["gap t 1..8", "t#9", "t#10"]);
  });

  it("with no room kept, a stalled client reads one gap, then the live stream", () => {
    const { sink, queue } = queueWith({ t: "drop-oldest" }, 1000);
    queue.stall();
    for (let seq = 1; seq <= 50; seq++) queue.push(envelope("t", seq));
    assert.equal(queue.stats.queued, 0);
    assert.equal(queue.stats.dropped, 50);

    queue.resume();
    drain(sink, queue);
    queue.push(envelope("t", 51));
    assert.deepEqual(written(sink), ["gap t 1..50", "t#51"]);
  });

  it("conflate keeps the latest per key at once, without waiting to be full", () => {
    const { sink, queue } = queueWith({ px: "conflate" }, 1000);
    queue.push(envelope("px", 1, "EUR"));
    queue.push(envelope("px", 2, "EUR"));
    queue.push(envelope("px", 3, "USD"));
    queue.stall();
    assert.equal(queue.stats.queued, 2, "px#1 went when the stall was found");
    queue.push(envelope("px", 4, "EUR"));
    queue.push(envelope("px", 5, "USD"));
    queue.push(envelope("px", 6, "EUR"));
    assert.equal(queue.stats.queued, 2);

    queue.resume();
    const out = drain(sink, queue);
    assert.deepEqual(
      out.filter((item) => !item.startsWith("gap")),
      ["px#5", "px#6"],
    );
    assert.equal(queue.stats.dropped, 4);
  });

  it("keeps a topic's gaps few while a rare key splits its runs", () => {
    const { sink, queue } = queueWith({ px: "conflate" }, 1000);
    queue.stall();
    for (let seq = 1; seq <= 10_005; seq++) {
      queue.push(envelope("px", seq, seq % 10 === 0 ? "rare" : "hot"));
    }
    queue.resume();

    // What is left: the last of each key, and the gaps around them.
    assert.deepEqual(drain(sink, queue), [
      "gap px 1..9999",
      "px#10000",
      "gap px 10001..10004",
      "px#10005",
    ]);
    assert.equal(queue.stats.gaps, 2);
  });

  it("after resume the full queue's limits apply again", () => {
    const { sink, queue } = queueWith({ t: "drop-oldest" }, 5);
    queue.stall();
    queue.push(envelope("t", 1));
    queue.resume();
    for (let seq = 2; seq <= 6; seq++) queue.push(envelope("t", seq));
    assert.equal(queue.stats.queued, 5);
    assert.deepEqual(drain(sink, queue), [
      "gap t 1..1",
      "t#2",
      "t#3",
      "t#4",
      "t#5",
      "t#6",
    ]);
  });

  it("never drops a disconnect message, stalled or not (property)", () => {
    const policy = fc.constantFrom<SlowConsumerPolicy>(
      "drop-oldest",
      "conflate",
      "disconnect",
    );
    const step = fc.oneof(
      fc.record({
        kind: fc.constant("push" as const),
        topic: fc.constantFrom("a", "b", "c"),
        key: fc.constantFrom(undefined, "k1", "k2"),
      }),
      fc.constantFrom(
        { kind: "toggle" as const },
        { kind: "stall" as const },
        { kind: "resume" as const },
      ),
    );
    fc.assert(
      fc.property(
        fc.record({ a: policy, b: policy, c: policy }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(step, { maxLength: 150 }),
        (policies, max, keep, steps) => {
          const { sink, queue } = queueWith(policies, max, keep);
          const seqs = new Map<string, number>();
          for (const s of steps) {
            if (sink.overflowed !== undefined) break;
            if (s.kind === "toggle") {
              sink.open = !sink.open;
              queue.drain();
            } else if (s.kind === "stall") {
              queue.stall();
            } else if (s.kind === "resume") {
              queue.resume();
              queue.drain();
            } else {
              const seq = (seqs.get(s.topic) ?? 0) + 1;
              seqs.set(s.topic, seq);
              queue.push(envelope(s.topic, seq, s.key));
            }
            const { accepted, delivered, dropped, queued } = queue.stats;
            assert.equal(accepted, delivered + dropped + queued);
            if (sink.overflowed === undefined) assert.ok(queued <= max);
          }
          if (sink.overflowed !== undefined) return;
          queue.resume();
          drain(sink, queue);
          for (const [topic, last] of seqs) {
            const covered: number[] = [];
            let gaps = 0;
            for (const item of sink.written) {
              if (item instanceof EncodedEnvelope) {
                if (item.envelope.topic === topic) {
                  covered.push(item.envelope.seq);
                }
              } else if (item.notice.topic === topic) {
                const gap = item.notice as GapNotice;
                gaps++;
                for (let n = gap.fromSeq; n <= gap.toSeq; n++) covered.push(n);
              }
            }
            const all = Array.from({ length: last }, (_, i) => i + 1);
            assert.deepEqual(covered, all, `topic ${topic}`);
            if (policies[topic as "a" | "b" | "c"] === "disconnect") {
              assert.equal(gaps, 0, `disconnect topic ${topic} lost nothing`);
            }
          }
        },
      ),
    );
  });
});
