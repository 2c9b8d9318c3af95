import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Envelope } from "../../../src/gen/tributary/v1/envelope.js";
import { TestClient } from "../../support/client.js";
import {
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../../support/gateway.js";
import { TestUpstream } from "../../support/upstream.js";
import { waitFor } from "../../support/wait-for.js";
import { ProtoTestClient } from "./proto-client.js";

/** The JSON payload of a binary `message`, parsed. */
function dataOf(envelope: Envelope): { n: number } {
  return JSON.parse(envelope.data.toString("utf8"));
}

describe("binary subprotocol tributary.v1.proto", () => {
  const upstream = new TestUpstream();
  let gw: RunningGateway;
  const clients: { close(): Promise<void> }[] = [];

  before(async () => {
    await upstream.start();
    gw = await startGateway({
      sources: [
        {
          id: "feed",
          url: upstream.url,
          reconnect: FAST_RECONNECT,
          codec: {
            format: "json",
            topic: "{/a}.{/b}",
            key: "/k",
            time: "/t",
            data: "/d",
          },
        },
      ],
    });
    await waitFor("the source to connect", () => upstream.clients.size === 1);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gw.stop();
    await upstream.stop();
  });

  async function connect(): Promise<ProtoTestClient> {
    const client = await ProtoTestClient.connect(gw.wsUrl);
    clients.push(client);
    return client;
  }

  /** Publishes message `n` on `topic`; waits until `client` has it. */
  async function publishTo(client: ProtoTestClient, topic: string, n: number) {
    const [a, b] = topic.split(".");
    upstream.send({ a, b, k: `k${n}`, t: 1_700_000_000_000 + n, d: { n } });
    await waitFor(`message ${n} on ${topic}`, () =>
      client.messages().some((m) => dataOf(m).n === n),
    );
  }

  it("answers ping with a binary pong echoing the id", async () => {
    const client = await connect();

    const reply = await client.request({ $case: "ping", value: {} }, "p-1");

    assert.deepEqual(reply, { id: "p-1", frame: { $case: "pong", value: {} } });
    assert.deepEqual(client.textFrames, []);
  });

  it("delivers the same messages as the JSON subprotocol", async () => {
    const binary = await connect();
    const json = await TestClient.connect(gw.wsUrl);
    clients.push(json);
    await binary.subscribe(["same.X"]);
    await json.subscribe(["same.X"]);

    await publishTo(binary, "same.X", 1);
    await publishTo(binary, "same.X", 2);
    await waitFor("both JSON messages", () => json.messages().length === 2);

    const fromJson = json.messages().map((m) => ({
      topic: m.topic,
      seq: m.seq,
      epoch: m.epoch,
      source: m.source,
      key: m.key,
      time: Date.parse(m.time as string),
      data: m.data,
    }));
    const fromBinary = binary.messages().map((m) => ({
      topic: m.topic,
      seq: m.seq,
      epoch: m.epoch,
      source: m.source,
      key: m.key,
      time: m.timeMs,
      data: dataOf(m),
    }));
    assert.deepEqual(fromBinary, fromJson);
    assert.equal(fromBinary[0]?.time, 1_700_000_000_001);
    assert.equal(fromBinary[1]?.seq, (fromBinary[0]?.seq ?? 0) + 1);
    assert.deepEqual([binary.textFrames, binary.decodeErrors], [[], []]);
    assert.equal(binary.messages()[0]?.contentType, "application/json");
    assert.ok((binary.messages()[0]?.ingestTimeMs ?? 0) > 1_700_000_000_000);
  });

  it("answers subscribe and unsubscribe, and stops delivering", async () => {
    const client = await connect();
    const watcher = await connect();
    const subscribed = await client.subscribe(["unsub.A", "unsub.*"]);
    await watcher.subscribe(["unsub.A"]);
    await publishTo(client, "unsub.A", 10);

    const reply = await client.request({
      $case: "unsubscribe",
      value: { topics: ["unsub.A", "unsub.*"] },
    });
    await publishTo(watcher, "unsub.A", 11);

    assert.deepEqual(subscribed.frame, {
      $case: "subscribed",
      // No source serves topics on demand here: nothing is live.
      value: { topics: ["unsub.A", "unsub.*"], live: [] },
    });
    assert.deepEqual(reply.frame, {
      $case: "unsubscribed",
      value: { topics: ["unsub.A", "unsub.*"], live: [] },
    });
    assert.deepEqual(
      client.messages().map((m) => dataOf(m).n),
      [10],
    );
  });

  it("delivers live gap and reset notices as binary frames", async () => {
    const client = await connect();
    await client.subscribe(["notes.A"]);
    await publishTo(client, "notes.A", 20);
    const epoch = client.messages()[0]?.epoch ?? "";

    gw.gateway.fanout.publishGap("notes.A", 2, "missing-upstream");
    const reset = gw.gateway.fanout.publishReset("notes.A", "upstream-reset");
    await waitFor("the reset", () => client.framesOf("reset").length === 1);

    assert.deepEqual(client.framesOf("gap"), [
      {
        topic: "notes.A",
        fromSeq: 2,
        toSeq: 3,
        reason: "missing-upstream",
        epoch,
      },
    ]);
    assert.deepEqual(client.framesOf("reset"), [
      { topic: "notes.A", epoch: reset.epoch, reason: "upstream-reset" },
    ]);
  });

  describe("resume", () => {
    it("replays what the client missed, then the live stream", async () => {
      const first = await connect();
      await first.subscribe(["resume.A"]);
      await publishTo(first, "resume.A", 30);
      const last = first.messages()[0];
      assert.ok(last !== undefined);
      await first.close();
      const watcher = await connect();
      await watcher.subscribe(["resume.A"]);
      await publishTo(watcher, "resume.A", 31);
      await publishTo(watcher, "resume.A", 32);

      const again = await connect();
      const resume = { "resume.A": { epoch: last.epoch, seq: last.seq } };
      const reply = await again.request({
        $case: "subscribe",
        value: { topics: ["resume.A"], resume },
      });
      await waitFor("the replay", () => again.messages().length === 2);
      await publishTo(again, "resume.A", 33);

      assert.equal(reply.frame?.$case, "subscribed");
      assert.deepEqual(
        again.messages().map((m) => [m.seq - last.seq, dataOf(m).n]),
        [
          [1, 31],
          [2, 32],
          [3, 33],
        ],
      );
    });

    it("sends a reset without epoch for a topic never seen", async () => {
      const client = await connect();

      await client.request({
        $case: "subscribe",
        value: {
          topics: ["never.seen"],
          resume: { "never.seen": { epoch: "gone", seq: 4 } },
        },
      });
      await waitFor("the reset", () => client.framesOf("reset").length === 1);

      assert.deepEqual(client.framesOf("reset"), [
        { topic: "never.seen", epoch: "", reason: "epoch-unknown" },
      ]);
    });
  });
});
