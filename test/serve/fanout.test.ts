import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CONTENT_TYPE_JSON } from "../../src/envelope/index.js";
import { ServerFrame } from "../../src/gen/tributary/v1/client_protocol.js";
import {
  type EncodedEnvelope,
  type EncodedNotice,
  encodeResetJson,
  Fanout,
  type Recipient,
  type SubscriptionProblem,
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
  readonly problems: SubscriptionProblem[] = [];
  deliverProblem(problem: SubscriptionProblem): void {
    this.problems.push(problem);
  }
  parsed(): Record<string, unknown>[] {
    return this.frames.map((f) => JSON.parse(f.toString()));
  }
}

/** A recipient of a binary session: keeps the `.proto` frames. */
class ProtoCollector implements Recipient {
  readonly frames: Buffer[] = [];
  constructor(readonly id: string) {}
  deliver(message: EncodedEnvelope): void {
    this.frames.push(message.proto);
  }
  deliverNotice(notice: EncodedNotice): void {
    this.frames.push(notice.proto);
  }
  readonly problems: SubscriptionProblem[] = [];
  deliverProblem(problem: SubscriptionProblem): void {
    this.problems.push(problem);
  }
  decoded(): ServerFrame[] {
    return this.frames.map((f) => ServerFrame.decode(f));
  }
}

/** Two binary recipients of `trades.*` on a fresh fan-out. */
function setupProto() {
  const fanout = new Fanout(new TopicGraph());
  const first = new ProtoCollector("first");
  const second = new ProtoCollector("second");
  fanout.index.add("trades.*", first);
  fanout.index.add("trades.*", second);
  return { fanout, first, second };
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

describe("Fanout with binary recipients", () => {
  it("hands every recipient the very same proto buffer", () => {
    const { fanout, first, second } = setupProto();

    const envelope = fanout.publish({
      topic: "trades.X",
      source: "vendor-a",
      time: 1_700_000_000_123.7,
      ingestTime: 1_700_000_000_200,
      key: "X",
      data: Buffer.from('{"p":1}'),
      contentType: CONTENT_TYPE_JSON,
    });

    assert.equal(first.frames.length, 1);
    assert.equal(first.frames[0], second.frames[0], "encoded once, shared");
    assert.deepEqual(first.decoded(), [
      {
        id: "",
        frame: {
          $case: "message",
          value: {
            topic: "trades.X",
            seq: 1,
            epoch: envelope.epoch,
            timeMs: 1_700_000_000_123,
            ingestTimeMs: 1_700_000_000_200,
            source: "vendor-a",
            key: "X",
            data: Buffer.from('{"p":1}'),
            contentType: CONTENT_TYPE_JSON,
          },
        },
      },
    ]);
  });

  it("maps an absent time and key to their proto defaults", () => {
    const { fanout, first } = setupProto();

    fanout.publish({
      topic: "trades.Y",
      source: "a",
      ingestTime: 5,
      data: Buffer.from([0, 1, 2]),
      contentType: "application/octet-stream",
    });

    const frame = first.decoded()[0]?.frame;
    assert.equal(frame?.$case, "message");
    assert.equal(frame.value.timeMs, 0);
    assert.equal(frame.value.key, "");
    assert.deepEqual(frame.value.data, Buffer.from([0, 1, 2]));
  });

  it("shares one proto buffer per gap and per reset notice", () => {
    const { fanout, first, second } = setupProto();
    const publish = () =>
      fanout.publish({
        topic: "trades.X",
        source: "a",
        ingestTime: 0,
        data: Buffer.from("{}"),
        contentType: CONTENT_TYPE_JSON,
      });
    const { epoch } = publish();

    fanout.publishGap("trades.X", 2, "missing-upstream");
    const reset = fanout.publishReset("trades.X", "upstream-reset");

    assert.equal(first.frames[1], second.frames[1]);
    assert.equal(first.frames[2], second.frames[2]);
    const [, gap, resetFrame] = first.decoded();
    assert.deepEqual(gap, {
      id: "",
      frame: {
        $case: "gap",
        value: {
          topic: "trades.X",
          fromSeq: 2,
          toSeq: 3,
          reason: "missing-upstream",
          epoch,
        },
      },
    });
    assert.deepEqual(resetFrame, {
      id: "",
      frame: {
        $case: "reset",
        value: {
          topic: "trades.X",
          epoch: reset.epoch,
          reason: "upstream-reset",
        },
      },
    });
  });

  it("encodes the JSON and proto frames of one envelope separately", () => {
    const fanout = new Fanout(new TopicGraph());
    const json = new Collector("json");
    const proto = new ProtoCollector("proto");
    fanout.index.add("t", json);
    fanout.index.add("t", proto);

    fanout.publish({
      topic: "t",
      source: "a",
      ingestTime: 0,
      data: Buffer.from('{"v":2}'),
      contentType: CONTENT_TYPE_JSON,
    });

    assert.deepEqual(json.parsed()[0]?.data, { v: 2 });
    const frame = proto.decoded()[0]?.frame;
    assert.equal(frame?.$case, "message");
    assert.equal(frame.value.data.toString(), '{"v":2}');
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
