import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { AbFeed } from "../support/ab-feed.js";
import { type Frame, TestClient } from "../support/client.js";
import { FaultRig } from "../support/fault-rig.js";
import {
  assertExactlyOnce,
  checkTopicStream,
  upstreamSeqOf,
} from "../support/stream-check.js";
import { waitFor } from "../support/wait-for.js";

const TOPIC = "ticks.X";

/** Frames after the `subscribed` reply to request `id`. */
function afterReply(client: TestClient, id: string): Frame[] {
  const at = client.frames.findIndex((f) => f.id === id);
  return at < 0 ? [] : client.frames.slice(at + 1);
}

describe("a client that disconnects and resumes", () => {
  let rig: FaultRig | undefined;
  let feed: AbFeed | undefined;

  afterEach(async () => {
    feed?.stop();
    await rig?.stop();
    rig = undefined;
  });

  /** Connects a client that resumes `TOPIC` from `point`. */
  async function resume(
    r: FaultRig,
    point: { epoch: unknown; seq: unknown },
  ): Promise<TestClient> {
    const client = await TestClient.connect(r.gateway.wsUrl);
    r.clients.push(client);
    const reply = await client.request({
      type: "subscribe",
      id: "resume",
      topics: [TOPIC],
      resume: { [TOPIC]: point },
    });
    assert.equal(reply.type, "subscribed", JSON.stringify(reply));
    return client;
  }

  it("gets the rest mid-stream with no duplicate and no hole", async (t) => {
    const r = await FaultRig.start({ lines: ["feed"] });
    rig = r;
    const first = await r.subscriber([TOPIC]);
    const tape = new AbFeed({
      lines: r.upstreams,
      ratePerSecond: 1_000,
      count: 2_000,
    });
    feed = tape;
    tape.start();

    await waitFor("message 600", () => tape.sentSeq >= 600);
    await first.close();
    const last = first.messages().at(-1) as Frame;
    await waitFor("300 more messages", () => tape.sentSeq >= 900);
    const second = await resume(r, { epoch: last.epoch, seq: last.seq });
    await waitFor(
      "the whole tape",
      () =>
        tape.finished &&
        second.messages().some((m) => upstreamSeqOf(m) === tape.lastSeq),
      10_000,
    );

    const resumed = afterReply(second, "resume");
    const seam = resumed.find((f) => f.type === "message");
    t.diagnostic(`left after seq ${last.seq}, resumed at ${seam?.seq}`);
    assert.equal(seam?.seq, (last.seq as number) + 1);
    const stream = checkTopicStream([...first.frames, ...resumed], TOPIC);
    assertExactlyOnce(stream, 1, tape.lastSeq);
    const epochs = new Set(stream.messages.map((m) => m.epoch));
    assert.deepEqual([...epochs], [last.epoch]);
  });

  it("gets a gap notice once the history no longer reaches back", async () => {
    const r = await FaultRig.start({
      lines: ["feed"],
      limits: { historyMessages: 5 },
    });
    rig = r;
    const upstream = r.upstreams.feed;
    const send = (from: number, to: number) => {
      for (let seq = from; seq <= to; seq++) {
        upstream?.send({ sym: "X", id: `m${seq}`, seq });
      }
    };
    const topicSeq = () => r.gateway.gateway.control.listTopics(TOPIC)[0]?.seq;
    const first = await r.subscriber([TOPIC]);
    send(1, 10);
    await waitFor("10 messages", () => first.messages().length === 10);
    await first.close();
    const last = first.messages().at(-1) as Frame;
    send(11, 30);
    await waitFor("30 messages in the topic", () => topicSeq() === 30);

    const second = await resume(r, { epoch: last.epoch, seq: 10 });
    const stranger = await resume(r, { epoch: "no-such-epoch", seq: 3 });
    send(31, 33);
    await waitFor("the live messages", () =>
      [second, stranger].every((c) => c.messages().at(-1)?.seq === 33),
    );

    const resumed = afterReply(second, "resume");
    assert.deepEqual(resumed[0], {
      type: "gap",
      topic: TOPIC,
      fromSeq: 11,
      toSeq: 25,
      reason: "history-expired",
      epoch: last.epoch,
    });
    const seqs = resumed.slice(1).map((f) => [f.type, f.seq]);
    const expected = Array.from({ length: 8 }, (_, i) => ["message", 26 + i]);
    assert.deepEqual(seqs, expected);
    checkTopicStream([...first.frames, ...resumed], TOPIC);

    // An unknown epoch: a reset naming the current one, then from seq 1.
    const [reset, gap, ...rest] = afterReply(stranger, "resume");
    assert.equal(reset?.type, "reset");
    assert.equal(reset?.reason, "epoch-unknown");
    assert.equal(reset?.epoch, last.epoch);
    assert.equal(gap?.type, "gap");
    assert.deepEqual([gap?.fromSeq, gap?.toSeq], [1, 25]);
    assert.deepEqual(
      rest.map((f) => f.seq),
      expected.map(([, seq]) => seq),
    );
  });
});
