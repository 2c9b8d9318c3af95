import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SourceMessage } from "../../src/envelope/index.js";
import { CONTENT_TYPE_JSON } from "../../src/envelope/index.js";
import { createEpoch, TopicError, TopicGraph } from "../../src/topics/index.js";

function message(
  topic: string,
  source = "vendor-a",
  extra: Partial<SourceMessage> = {},
): SourceMessage {
  return {
    topic,
    source,
    ingestTime: 1_000,
    data: Buffer.from('{"p":1}'),
    contentType: CONTENT_TYPE_JSON,
    ...extra,
  };
}

describe("TopicGraph", () => {
  describe("publish", () => {
    it("numbers each topic from 1 without holes", () => {
      const graph = new TopicGraph();
      const seqs = new Map<string, number[]>();

      for (const topic of ["a", "b", "a", "a", "c", "b", "a"]) {
        const envelope = graph.publish(message(topic));
        seqs.set(topic, [...(seqs.get(topic) ?? []), envelope.seq]);
      }

      assert.deepEqual(Object.fromEntries(seqs), {
        a: [1, 2, 3, 4],
        b: [1, 2],
        c: [1],
      });
    });

    it("keeps one epoch per topic and a different one per topic", () => {
      const graph = new TopicGraph();

      const a1 = graph.publish(message("a"));
      const a2 = graph.publish(message("a"));
      const b1 = graph.publish(message("b"));

      assert.equal(a1.epoch, a2.epoch);
      assert.notEqual(a1.epoch, b1.epoch);
      assert.equal(graph.get("a")?.epoch, a1.epoch);
    });

    it("gives the same topic a new epoch in another graph", () => {
      const now = () => 5_000;
      const first = new TopicGraph({ now }).publish(message("a"));
      const second = new TopicGraph({ now }).publish(message("a"));

      assert.notEqual(first.epoch, second.epoch);
    });

    it("keeps every field of the source message", () => {
      const graph = new TopicGraph();
      // Required<> makes this test stop compiling when SourceMessage gains
      // a field that publish() might not copy.
      const input: Required<SourceMessage> = {
        ...message("t", "vendor-b"),
        id: "x1",
        upstreamSeq: 77,
        time: 900,
        key: "BTC",
      };

      const { seq, epoch, ...rest } = graph.publish(input);

      assert.deepEqual(rest, input);
      assert.equal(seq, 1);
      assert.equal(typeof epoch, "string");
    });

    it("adds no optional field the message did not have", () => {
      const graph = new TopicGraph();
      const input = message("t");

      const envelope = graph.publish(input);

      assert.deepEqual(
        Object.keys(envelope).sort(),
        [...Object.keys(input), "epoch", "seq"].sort(),
      );
    });

    it("rejects an invalid topic and creates nothing", () => {
      const graph = new TopicGraph();

      for (const bad of ["", "a..b", "a.*", "a.>", "a b"]) {
        assert.throws(
          () => graph.publish(message(bad)),
          (err: unknown) =>
            err instanceof TopicError && err.code === "INVALID_TOPIC",
          bad,
        );
      }

      assert.equal(graph.size, 0);
      assert.deepEqual(graph.list(), []);
    });
  });

  describe("get", () => {
    it("reports counters and lineage of a topic", () => {
      let clock = 10;
      const graph = new TopicGraph({ now: () => clock });
      graph.publish(message("t", "vendor-a"));
      clock = 20;
      graph.publish(message("t", "vendor-b"));
      clock = 30;
      graph.publish(message("t", "vendor-a"));

      const info = graph.get("t");

      assert.ok(info);
      assert.equal(info.topic, "t");
      assert.equal(info.seq, 3);
      assert.equal(info.messages, 3);
      assert.equal(info.lastMessageAt, 30);
      assert.deepEqual([...info.sources].sort(), ["vendor-a", "vendor-b"]);
      assert.equal(graph.get("other"), undefined);
    });

    it("returns a snapshot that later publishes do not change", () => {
      const graph = new TopicGraph();
      graph.publish(message("t", "vendor-a"));
      const before = graph.get("t");

      graph.publish(message("t", "vendor-b"));

      assert.equal(before?.seq, 1);
      assert.deepEqual([...(before?.sources ?? [])], ["vendor-a"]);
      assert.equal(graph.get("t")?.seq, 2);
    });
  });

  describe("list", () => {
    it("lists all topics, or those matching a pattern, sorted", () => {
      const graph = new TopicGraph();
      for (const topic of ["trades.b", "book.x.y", "trades.a", "Z", "a"]) {
        graph.publish(message(topic));
      }

      const names = (pattern?: string) =>
        graph.list(pattern).map((info) => info.topic);

      assert.deepEqual(names(), ["Z", "a", "book.x.y", "trades.a", "trades.b"]);
      assert.deepEqual(names("trades.*"), ["trades.a", "trades.b"]);
      assert.deepEqual(names("book.>"), ["book.x.y"]);
      assert.deepEqual(names("trades.a"), ["trades.a"]);
      assert.deepEqual(names("none.>"), []);
    });

    it("rejects an invalid pattern", () => {
      const graph = new TopicGraph();

      assert.throws(
        () => graph.list("a.>.b"),
        (err: unknown) =>
          err instanceof TopicError && err.code === "INVALID_PATTERN",
      );
    });
  });
});

describe("createEpoch", () => {
  it("creates short ids that do not repeat", () => {
    const epochs = new Set<string>();

    for (let i = 0; i < 10_000; i++) epochs.add(createEpoch(1_000));

    assert.equal(epochs.size, 10_000);
    for (const epoch of epochs) assert.match(epoch, /^[0-9a-z]+-[0-9a-f]{10}$/);
  });

  it("leads with the creation time, so later epochs differ in front", () => {
    const early = createEpoch(Date.UTC(2024, 0, 1));
    const late = createEpoch(Date.UTC(2030, 0, 1));

    assert.notEqual(early.split("-")[0], late.split("-")[0]);
    assert.ok(early.split("-")[0] < (late.split("-")[0] as string));
  });
});
