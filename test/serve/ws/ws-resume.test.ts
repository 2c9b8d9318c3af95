import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Frame, TestClient } from "../../support/client.js";
import {
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../../support/gateway.js";
import { TestUpstream } from "../../support/upstream.js";
import { waitFor } from "../../support/wait-for.js";

/** A gateway with one feed whose frames `{a, b, d}` go to topic `a.b`. */
async function startFeed(limits: Record<string, unknown> = {}) {
  const upstream = await new TestUpstream().start();
  const gw = await startGateway({
    sources: [
      {
        id: "feed",
        url: upstream.url,
        reconnect: FAST_RECONNECT,
        codec: { format: "json", topic: "{/a}.{/b}", data: "/d" },
      },
    ],
    limits,
  });
  await waitFor("the source to connect", () => upstream.clients.size === 1);
  return { upstream, gw };
}

/** Seqs of the messages `client` got on `topic`, in order of arrival. */
function seqsOf(client: TestClient, topic: string): number[] {
  return client
    .messages()
    .filter((m) => m.topic === topic)
    .map((m) => m.seq as number);
}

/** `from`, `from + 1`, …, `to`. */
function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** The frames after `subscribed`, as short strings: `m3`, `gap 1-2`. */
function streamOf(client: TestClient): string[] {
  const start = client.frames.findIndex((f) => f.type === "subscribed");
  return client.frames.slice(start + 1).map(describeFrame);
}

function describeFrame(f: Frame): string {
  if (f.type === "message") return `m${f.seq}`;
  if (f.type === "gap") return `gap ${f.fromSeq}-${f.toSeq} ${f.reason}`;
  return `${f.type} ${String(f.reason ?? "")}`.trim();
}

/** Sends a resuming subscribe; does not wait for the reply. */
function resume(client: TestClient, topic: string, epoch: string, seq: number) {
  client.send({
    type: "subscribe",
    id: "resume",
    topics: [topic],
    resume: { [topic]: { epoch, seq } },
  });
}

describe("resuming a subscription over WebSocket", () => {
  let upstream: TestUpstream;
  let gw: RunningGateway;
  const clients: TestClient[] = [];

  before(async () => {
    ({ upstream, gw } = await startFeed());
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gw.stop();
    await upstream.stop();
  });

  async function connect(): Promise<TestClient> {
    const client = await TestClient.connect(gw.wsUrl);
    clients.push(client);
    return client;
  }

  /**
   * Connects a client and finds its session: the gateway creates it before
   * the handshake completes, so the newest session is this client's while
   * tests connect one at a time.
   */
  async function connectWithSession() {
    const client = await connect();
    const session = [...gw.gateway.ws.sessions.values()].at(-1);
    assert.ok(session);
    return { client, session };
  }

  /** Publishes messages `from`..`to` on `topic`; `watcher` waits for them. */
  async function publish(
    watcher: TestClient,
    topic: string,
    from: number,
    to: number,
  ) {
    const [a, b] = topic.split(".");
    for (let n = from; n <= to; n++) upstream.send({ a, b, d: { n } });
    await waitFor(`messages up to ${to} on ${topic}`, () =>
      seqsOf(watcher, topic).includes(to),
    );
  }

  it("replays what was missed, then goes live, with no duplicate or hole", async () => {
    const topic = "seam.A";
    const watcher = await connect();
    await watcher.subscribe([topic]);
    const first = await connect();
    await first.subscribe([topic]);
    await publish(first, topic, 1, 50);
    await first.close();
    await publish(watcher, topic, 51, 120);
    const held = first.messages().at(-1) as Frame;

    const second = await connect();
    resume(second, topic, held.epoch as string, held.seq as number);
    // Published while the resume request is in flight, so the live stream
    // races the replay at the gateway.
    await publish(watcher, topic, 121, 400);
    await waitFor("the resumed client to reach seq 400", () =>
      seqsOf(second, topic).includes(400),
    );

    const received = [...seqsOf(first, topic), ...seqsOf(second, topic)];
    assert.deepEqual(received, range(1, 400));
    assert.equal(second.frames[0]?.type, "subscribed");
    assert.equal(
      second.frames.filter((f) => f.type === "gap").length,
      0,
      "nothing was lost, so nothing is announced",
    );
    const data = second.messages().map((m) => (m.data as { n: number }).n);
    assert.deepEqual(data, range(51, 400), "payloads match their seqs");
  });

  it("replays a gap notice in its place in the stream", async () => {
    const topic = "seam.B";
    const watcher = await connect();
    await watcher.subscribe([topic]);
    await publish(watcher, topic, 1, 3);
    gw.gateway.fanout.publishGap(topic, 2, "lost upstream");
    await publish(watcher, topic, 6, 7);
    const epoch = watcher.messages()[0]?.epoch as string;

    const { client: resumed, session } = await connectWithSession();
    resume(resumed, topic, epoch, 2);
    await waitFor("the replay", () => seqsOf(resumed, topic).includes(7));

    const live = ["m1", "m2", "m3", "gap 4-5 lost upstream", "m6", "m7"];
    assert.deepEqual(streamOf(watcher), live);
    assert.deepEqual(streamOf(resumed), live.slice(2));
    assert.equal(session.stats.gaps, 1);
    assert.equal(session.stats.replayed, 3);
  });

  it("answers an unknown epoch with a reset, then the current epoch", async () => {
    const topic = "seam.C";
    const watcher = await connect();
    await watcher.subscribe([topic]);
    await publish(watcher, topic, 1, 4);

    const resumed = await connect();
    resume(resumed, topic, "gone-epoch", 17);
    await waitFor("the replay", () => seqsOf(resumed, topic).includes(4));

    const reset = resumed.frames.find((f) => f.type === "reset");
    assert.deepEqual(reset, {
      type: "reset",
      topic,
      epoch: watcher.messages()[0]?.epoch,
      reason: "epoch-unknown",
    });
    assert.deepEqual(streamOf(resumed), [
      "reset epoch-unknown",
      "m1",
      "m2",
      "m3",
      "m4",
    ]);
  });

  it("tells live subscribers about a new epoch before its messages", async () => {
    const topic = "seam.D";
    const watcher = await connect();
    await watcher.subscribe([topic]);
    await publish(watcher, topic, 1, 2);

    const reset = gw.gateway.fanout.publishReset(topic, "upstream restarted");
    upstream.send({ a: "seam", b: "D", d: { n: 3 } });
    await waitFor("the new epoch's message", () => {
      return seqsOf(watcher, topic).length === 3;
    });

    assert.deepEqual(streamOf(watcher), [
      "m1",
      "m2",
      "reset upstream restarted",
      "m1",
    ]);
    assert.equal(watcher.messages().at(-1)?.epoch, reset.epoch);
  });

  it("treats a point ahead of the topic as up to date", async () => {
    const topic = "seam.E";
    const watcher = await connect();
    await watcher.subscribe([topic]);
    await publish(watcher, topic, 1, 2);
    const epoch = watcher.messages()[0]?.epoch as string;

    const resumed = await connect();
    resume(resumed, topic, epoch, 50);
    await waitFor("the reply", () => resumed.frames.length > 0);
    await publish(watcher, topic, 3, 3);
    await waitFor("the live message", () => seqsOf(resumed, topic).includes(3));

    assert.deepEqual(streamOf(resumed), ["m3"]);
  });

  it("ignores a resume point of a topic none of the patterns match", async () => {
    const topic = "seam.F";
    const watcher = await connect();
    await watcher.subscribe([topic]);
    await publish(watcher, topic, 1, 2);
    const epoch = watcher.messages()[0]?.epoch as string;

    const client = await connect();
    const reply = await client.request({
      type: "subscribe",
      topics: ["other.*"],
      resume: { [topic]: { epoch, seq: 0 } },
    });
    await client.request({ type: "ping" });

    assert.equal(reply.type, "subscribed");
    assert.deepEqual(
      client.frames.map((f) => f.type),
      ["subscribed", "pong"],
    );
  });

  it("replays through a wildcard pattern", async () => {
    const topic = "seam.G";
    const watcher = await connect();
    await watcher.subscribe([topic]);
    await publish(watcher, topic, 1, 3);
    const epoch = watcher.messages()[0]?.epoch as string;

    const client = await connect();
    client.send({
      type: "subscribe",
      topics: ["seam.*"],
      resume: { [topic]: { epoch, seq: 1 } },
    });
    await waitFor("the replay", () => seqsOf(client, topic).includes(3));

    assert.deepEqual(seqsOf(client, topic), [2, 3]);
  });

  it("refuses a bad resume point and subscribes to nothing", async () => {
    const { client, session } = await connectWithSession();

    const badTopic = await client.request({
      type: "subscribe",
      topics: ["seam.*"],
      resume: { "seam.*": { epoch: "e", seq: 1 } },
    });
    const badSeq = await client.request({
      type: "subscribe",
      topics: ["seam.*"],
      resume: { "seam.A": { epoch: "e", seq: -1 } },
    });

    assert.equal(badTopic.code, "INVALID_TOPIC");
    assert.equal(badSeq.code, "BAD_REQUEST");
    assert.match(String(badSeq.message), /^resume/);
    assert.equal(session.patterns.size, 0);
  });
});

describe("resuming after the history has moved on", () => {
  let upstream: TestUpstream;
  let gw: RunningGateway;
  const clients: TestClient[] = [];

  before(async () => {
    ({ upstream, gw } = await startFeed({ historyMessages: 5 }));
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gw.stop();
    await upstream.stop();
  });

  it("announces the seqs no longer held with a gap, then replays the rest", async () => {
    const topic = "short.A";
    const watcher = await TestClient.connect(gw.wsUrl);
    clients.push(watcher);
    await watcher.subscribe([topic]);
    for (let n = 1; n <= 12; n++)
      upstream.send({ a: "short", b: "A", d: { n } });
    await waitFor("12 messages", () => seqsOf(watcher, topic).includes(12));
    const epoch = watcher.messages()[0]?.epoch as string;

    const resumed = await TestClient.connect(gw.wsUrl);
    clients.push(resumed);
    resume(resumed, topic, epoch, 2);
    await waitFor("the replay", () => seqsOf(resumed, topic).includes(12));
    upstream.send({ a: "short", b: "A", d: { n: 13 } });
    await waitFor("the live message", () =>
      seqsOf(resumed, topic).includes(13),
    );

    const gap = resumed.frames.find((f) => f.type === "gap");
    assert.deepEqual(gap, {
      type: "gap",
      topic,
      fromSeq: 3,
      toSeq: 7,
      reason: "history-expired",
      epoch,
    });
    assert.deepEqual(streamOf(resumed), [
      "gap 3-7 history-expired",
      ...range(8, 13).map((s) => `m${s}`),
    ]);
  });
});
