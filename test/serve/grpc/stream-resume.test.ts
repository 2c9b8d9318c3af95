import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import {
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../../support/gateway.js";
import { TestUpstream } from "../../support/upstream.js";
import { waitFor } from "../../support/wait-for.js";
import { StreamSubscriber } from "./stream-test-client.js";

/** `from`, `from + 1`, …, `to`. */
function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe("resuming a gRPC subscription", () => {
  let upstream: TestUpstream | undefined;
  let gw: RunningGateway | undefined;
  const subscribers: StreamSubscriber[] = [];

  afterEach(async () => {
    for (const s of subscribers.splice(0)) s.close();
    await gw?.stop();
    await upstream?.stop();
  });

  /** A gateway whose feed puts frames `{a, b, d}` on topic `a.b`. */
  async function startFeed(limits: Record<string, unknown> = {}) {
    upstream = await new TestUpstream().start();
    gw = await startGateway({
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
    const feed = upstream;
    await waitFor("the source to connect", () => feed.clients.size === 1);
    return gw;
  }

  async function subscribe(
    patterns: string[],
    resume: Record<string, { epoch: string; seq: number }> = {},
  ) {
    const address = gw?.grpcAddress as string;
    const s = await StreamSubscriber.subscribe(address, { patterns, resume });
    subscribers.push(s);
    return s;
  }

  /** Sends `from`..`to` on `topic`; `watcher` waits for the last. */
  async function publish(
    watcher: StreamSubscriber,
    topic: string,
    from: number,
    to: number,
  ) {
    const [a, b] = topic.split(".");
    for (let n = from; n <= to; n++) upstream?.send({ a, b, d: { n } });
    await waitFor(`seq ${to} of ${topic}`, () =>
      watcher.seqsOf(topic).includes(to),
    );
  }

  it("replays exactly what was missed, then goes live", async () => {
    await startFeed();
    const topic = "seam.A";
    const watcher = await subscribe([topic]);
    const first = await subscribe([topic]);
    await publish(first, topic, 1, 50);
    first.close();
    await publish(watcher, topic, 51, 120);
    const held = first.messages().at(-1);
    assert.ok(held);

    const second = StreamSubscriber.open(gw?.grpcAddress as string, {
      patterns: [topic],
      resume: { [topic]: { epoch: held.epoch, seq: held.seq } },
    });
    subscribers.push(second);
    // Sent while the resuming call is in flight, so the live stream races
    // the replay at the gateway.
    await publish(watcher, topic, 121, 400);
    await waitFor("the resumed subscriber to reach 400", () =>
      second.seqsOf(topic).includes(400),
    );

    const received = [...first.seqsOf(topic), ...second.seqsOf(topic)];
    assert.deepEqual(received, range(1, 400));
    assert.deepEqual(
      second.stream().filter((e) => !e.startsWith("m")),
      [],
      "nothing was lost, so nothing is announced",
    );
    const data = second.messages().map((m) => JSON.parse(m.data.toString()));
    assert.deepEqual(
      data.map((d: { n: number }) => d.n),
      range(51, 400),
    );
  });

  it("answers an unknown epoch with a reset, then the current epoch", async () => {
    await startFeed();
    const topic = "seam.B";
    const watcher = await subscribe([topic]);
    await publish(watcher, topic, 1, 4);

    const resumed = await subscribe([topic], {
      [topic]: { epoch: "gone-epoch", seq: 17 },
    });
    await waitFor("the replay", () => resumed.seqsOf(topic).includes(4));

    assert.deepEqual(resumed.stream(), [
      "reset epoch-unknown",
      "m1",
      "m2",
      "m3",
      "m4",
    ]);
    const reset = resumed.events[0]?.event;
    assert.deepEqual(reset, {
      $case: "reset",
      value: {
        topic,
        epoch: watcher.messages()[0]?.epoch,
        reason: "epoch-unknown",
      },
    });
  });

  it("announces what history no longer holds with a gap", async () => {
    await startFeed({ historyMessages: 5 });
    const topic = "seam.C";
    const watcher = await subscribe([topic]);
    await publish(watcher, topic, 1, 20);
    const epoch = watcher.messages()[0]?.epoch as string;

    const resumed = await subscribe([topic], { [topic]: { epoch, seq: 2 } });
    await waitFor("the replay", () => resumed.seqsOf(topic).includes(20));
    await publish(watcher, topic, 21, 22);
    await waitFor("the live stream", () => resumed.seqsOf(topic).includes(22));

    assert.deepEqual(resumed.stream(), [
      "gap 3-15 history-expired",
      ...range(16, 22).map((n) => `m${n}`),
    ]);
    const sessions = [...(gw?.gateway.grpcStreams.sessions.values() ?? [])];
    assert.deepEqual(
      sessions.map((s) => [s.stats.replayed, s.stats.gaps]),
      [
        [0, 0],
        [5, 1],
      ],
      "the watcher replayed nothing; the resumed one 5 messages, 1 gap",
    );
  });

  it("ignores resume points of topics no pattern matches", async () => {
    await startFeed();
    const watcher = await subscribe(["mine.*", "theirs.*"]);
    await publish(watcher, "mine.A", 1, 3);
    await publish(watcher, "theirs.A", 1, 3);
    const epochOf = (topic: string) => watcher.messages(topic)[0]?.epoch ?? "";

    const resumed = await subscribe(["mine.*"], {
      "mine.A": { epoch: epochOf("mine.A"), seq: 1 },
      "theirs.A": { epoch: "whatever", seq: 0 },
    });
    await publish(watcher, "mine.A", 4, 4);
    await waitFor("the live message", () =>
      resumed.seqsOf("mine.A").includes(4),
    );

    assert.deepEqual(resumed.stream(), ["m2", "m3", "m4"]);
    assert.deepEqual(resumed.messages("theirs.A"), []);
  });

  it("ends open calls with UNAVAILABLE when the gateway stops", async () => {
    await startFeed();
    const s = await subscribe(["any.>"]);
    const started = Date.now();

    await gw?.stop();
    gw = undefined;
    const err = await s.failure();

    assert.equal(err.code, status.UNAVAILABLE);
    assert.equal(err.details, "gateway shutting down");
    assert.ok(Date.now() - started < 1500, "stop did not wait out a grace");
  });
});
