import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  EncodedEnvelope,
  EncodedNotice,
  SessionQueue,
  type SlowConsumerPolicy,
} from "../../src/serve/index.js";
import { describeItems, envelope, ManualSink } from "./queue-support.js";

function queueWith(policy: SlowConsumerPolicy, maxMessages = 3) {
  const sink = new ManualSink();
  const queue = new SessionQueue(sink, {
    policy,
    maxMessages,
    maxBytes: 1_000_000,
    stalledMaxMessages: 0,
  });
  return { sink, queue };
}

describe("SessionQueue", () => {
  it("writes straight through while the transport is ready", () => {
    const { sink, queue } = queueWith("drop-oldest");
    for (let seq = 1; seq <= 5; seq++) queue.push(envelope("t", seq));
    assert.equal(sink.written.length, 5);
    assert.deepEqual(
      { ...queue.stats },
      {
        accepted: 5,
        delivered: 5,
        dropped: 0,
        queued: 0,
        queuedBytes: 0,
        gaps: 0,
      },
    );
  });

  it("drops the oldest and announces them with one merged gap", () => {
    const { sink, queue } = queueWith("drop-oldest");
    sink.open = false;
    for (let seq = 1; seq <= 6; seq++) queue.push(envelope("t", seq));

    sink.open = true;
    queue.drain();

    assert.deepEqual(describeItems(sink.written), [
      "gap t 1..3",
      "t#4",
      "t#5",
      "t#6",
    ]);
    assert.equal(
      (sink.written[0] as EncodedNotice).notice.reason,
      "slow-consumer",
    );
    assert.equal(queue.stats.dropped, 3);
  });

  it("conflates superseded messages first when full", () => {
    const { sink, queue } = queueWith("conflate", 3);
    sink.open = false;
    queue.push(envelope("px", 1, "EUR"));
    queue.push(envelope("px", 2, "USD"));
    queue.push(envelope("px", 3, "EUR"));
    assert.equal(queue.stats.dropped, 0, "nothing lost while there is room");
    queue.push(envelope("px", 4, "GBP"));

    sink.open = true;
    queue.drain();

    assert.deepEqual(describeItems(sink.written), [
      "gap px 1..1",
      "px#2",
      "px#3",
      "px#4",
    ]);
  });

  it("closes a session that overflows with the disconnect policy", () => {
    const { sink, queue } = queueWith("disconnect", 2);
    sink.open = false;
    for (let seq = 1; seq <= 3; seq++) queue.push(envelope("t", seq));

    assert.match(sink.overflowed ?? "", /slow consumer/);
    queue.push(envelope("t", 4));
    assert.equal(queue.stats.queued, 0);
    assert.equal(queue.stats.accepted, 3, "nothing accepted after overflow");
  });

  it("never drops notices", () => {
    const { sink, queue } = queueWith("drop-oldest", 1);
    sink.open = false;
    const reset = new EncodedNotice({
      type: "reset",
      topic: "t",
      epoch: "e2",
      reason: "upstream-reset",
    });
    queue.push(reset);
    for (let seq = 1; seq <= 4; seq++) queue.push(envelope("t", seq));
    sink.open = true;
    queue.drain();
    assert.equal(sink.written[0], reset);
  });

  it("accounts for every message and announces every drop (property)", () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant("push" as const),
        topic: fc.constantFrom("a", "b", "c"),
        key: fc.constantFrom(undefined, "k1", "k2"),
      }),
      fc.record({ kind: fc.constant("toggle" as const) }),
    );
    const policy = fc.constantFrom<SlowConsumerPolicy>(
      "drop-oldest",
      "conflate",
    );
    fc.assert(
      fc.property(
        policy,
        fc.integer({ min: 1, max: 6 }),
        fc.array(step, { maxLength: 200 }),
        (p, max, steps) => {
          const { sink, queue } = queueWith(p, max);
          const seqs = new Map<string, number>();
          for (const s of steps) {
            if (s.kind === "toggle") {
              sink.open = !sink.open;
              queue.drain();
              continue;
            }
            const seq = (seqs.get(s.topic) ?? 0) + 1;
            seqs.set(s.topic, seq);
            queue.push(envelope(s.topic, seq, s.key));
            const { accepted, delivered, dropped, queued } = queue.stats;
            assert.equal(accepted, delivered + dropped + queued);
            assert.ok(queued <= max);
          }
          sink.open = true;
          queue.drain();

          // Per topic, messages and gaps together cover 1..last exactly once,
          // in increasing order.
          for (const [topic, last] of seqs) {
            const covered: number[] = [];
            for (const item of sink.written) {
              if (item instanceof EncodedEnvelope) {
                if (item.envelope.topic === topic)
                  covered.push(item.envelope.seq);
              } else if (
                item.notice.topic === topic &&
                item.notice.type === "gap"
              ) {
                for (let n = item.notice.fromSeq; n <= item.notice.toSeq; n++)
                  covered.push(n);
              }
            }
            assert.deepEqual(
              covered,
              Array.from({ length: last }, (_, i) => i + 1),
            );
          }
        },
      ),
    );
  });
});
