import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CONTENT_TYPE_JSON } from "../../src/envelope/index.js";
import {
  type EncodedEnvelope,
  type EncodedNotice,
  encodeResetJson,
  Fanout,
  type Recipient,
} from "../../src/serve/index.js";
import { TopicGraph } from "../../src/topics/index.js";

/** A recipient that keeps every frame it was handed, as sent. */
class Collector implements Recipient {
  readonly frames: Buffer[] = [];
  constructor(readonly id: string) {}
  deliver(message: EncodedEnvelope): void {
    this.frames.push(message.json);
  }
  deliverNotice(notice: EncodedNotice): void {
    this.frames.push(notice.json);
  }
  parsed(): Record<string, unknown>[] {
    return this.frames.map((f) => JSON.parse(f.toString()));
  }
}

function setup() {
  const fanout = new Fanout(new TopicGraph());
  const trades = new Collector("trades");
  const all = new Collector("all");
  const other = new Collector("other");
  fanout.index.add("trades.*", trades);
  fanout.index.add(">", all);
  fanout.index.add("book.>", other);
  const publish = (topic: string) =>
    fanout.publish({
      topic,
      source: "a",
      ingestTime: 0,
      data: Buffer.from("{}"),
      contentType: CONTENT_TYPE_JSON,
    });
  return { fanout, trades, all, other, publish };
}

describe("Fanout", () => {
  describe("publishGap", () => {
    it("delivers one shared gap frame to every matching recipient", () => {
      const { fanout, trades, all, other, publish } = setup();
      publish("trades.X");

      const gap = fanout.publishGap("trades.X", 2, "lost upstream");

      assert.deepEqual(trades.parsed()[1], {
        type: "gap",
        topic: "trades.X",
        fromSeq: 2,
        toSeq: 3,
        reason: "lost upstream",
        epoch: gap.epoch,
      });
      assert.equal(trades.frames[1], all.frames[1], "encoded once, shared");
      assert.equal(other.frames.length, 0);
      assert.equal(fanout.noticesDelivered, 2);
      assert.equal(publish("trades.X").seq, 4);
    });

    it("throws for a bad count and delivers nothing", () => {
      const { fanout, trades } = setup();

      assert.throws(() => fanout.publishGap("trades.X", 0, "x"), RangeError);

      assert.equal(trades.frames.length, 0);
      assert.equal(fanout.noticesDelivered, 0);
    });
  });

  describe("publishReset", () => {
    it("delivers the reset before the first message of the new epoch", () => {
      const { fanout, trades, publish } = setup();
      const before = publish("trades.X");

      const reset = fanout.publishReset("trades.X", "upstream restarted");
      const after = publish("trades.X");

      const [, resetFrame, message] = trades.parsed();
      assert.deepEqual(resetFrame, {
        type: "reset",
        topic: "trades.X",
        epoch: reset.epoch,
        reason: "upstream restarted",
      });
      assert.notEqual(reset.epoch, before.epoch);
      assert.equal(message?.epoch, reset.epoch);
      assert.equal(after.seq, 1);
    });
  });
});

describe("encodeResetJson", () => {
  it("leaves out an unknown epoch and escapes strings", () => {
    const frame = encodeResetJson({
      type: "reset",
      topic: "t",
      reason: 'said "no"',
    });

    assert.equal(
      frame.toString(),
      '{"type":"reset","topic":"t","reason":"said \\"no\\""}',
    );
  });
});
