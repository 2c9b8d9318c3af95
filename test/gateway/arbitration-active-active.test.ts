import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { AbFeed, seededRandom } from "../support/ab-feed.js";
import type { TestClient } from "../support/client.js";
import { FaultRig } from "../support/fault-rig.js";
import {
  assertExactlyOnce,
  checkTopicStream,
  upstreamSeqOf,
} from "../support/stream-check.js";
import { waitFor } from "../support/wait-for.js";

const TOPIC = "ticks.X";

function pairGroup(dedupe: Record<string, unknown>) {
  return { id: "ticks", sources: ["a", "b"], dedupe };
}

/** Waits until every client holds the feed's last message. */
async function drain(feed: AbFeed, clients: TestClient[]): Promise<void> {
  await waitFor(
    "the whole tape at every subscriber",
    () =>
      feed.finished &&
      clients.every((c) =>
        c.messages().some((m) => upstreamSeqOf(m) === feed.lastSeq),
      ),
    15_000,
  );
}

describe("an active-active A/B pair at 3,000 messages a second", () => {
  let rig: FaultRig | undefined;
  let feed: AbFeed | undefined;

  afterEach(async () => {
    feed?.stop();
    await rig?.stop();
    rig = undefined;
  });

  async function run(dedupe: Record<string, unknown>) {
    rig = await FaultRig.start({ group: pairGroup(dedupe) });
    const clients = [
      await rig.subscriber([TOPIC]),
      await rig.subscriber(["ticks.*"]),
    ];
    const lines = rig.upstreams;
    feed = new AbFeed({ lines, ratePerSecond: 3_000, count: 7_500 });
    return { rig, feed, clients };
  }

  for (const by of ["seq", "id"] as const) {
    it(`loses nothing when one line dies mid-stream (dedupe by ${by})`, async (t) => {
      const { rig, feed, clients } = await run({ by });
      feed.start();

      await waitFor("a third of the tape", () => feed.sentSeq >= 2_500);
      const killedAt = rig.kill("a");
      const killedSeq = feed.sentSeq;
      await drain(feed, clients);

      t.diagnostic(`line a killed after message ${killedSeq}`);
      assert.equal(rig.connected("a"), false, "line a stays dead");
      for (const [i, client] of clients.entries()) {
        const stream = checkTopicStream(client.frames, TOPIC);
        assertExactlyOnce(stream, 1, feed.lastSeq, `subscriber ${i}`);
        const late = stream.messages.filter(
          (m) => upstreamSeqOf(m) > killedSeq + 100,
        );
        assert.ok(late.every((m) => m.source === "b"));
      }
      t.diagnostic(`tape took ${Date.now() - killedAt} ms after the kill`);
    });
  }

  it("loses nothing when one line is reset again and again (by seq)", async () => {
    const { rig, feed, clients } = await run({ by: "seq" });
    feed.start();

    // Each reset lets line a reconnect and rejoin mid-stream.
    for (const at of [1_500, 3_500, 5_500]) {
      await waitFor(`message ${at}`, () => feed.sentSeq >= at);
      rig.proxies.a?.reset();
      await waitFor("line a to reconnect", () => rig.connected("a"));
    }
    await drain(feed, clients);

    for (const [i, client] of clients.entries()) {
      const stream = checkTopicStream(client.frames, TOPIC);
      assertExactlyOnce(stream, 1, feed.lastSeq, `subscriber ${i}`);
    }
    assert.ok((rig.proxies.a?.accepted ?? 0) >= 4, "line a came back");
  });
});

describe("two lines that each drop a different 5%", () => {
  let rig: FaultRig | undefined;
  let feed: AbFeed | undefined;

  afterEach(async () => {
    feed?.stop();
    await rig?.stop();
    rig = undefined;
  });

  /** Seeded drops: 5% of all seqs for a, 5% of the rest for b. */
  function lossyLines(count: number) {
    const random = seededRandom(20_240_601);
    const fromA = new Set<number>();
    const fromB = new Set<number>();
    for (let seq = 1; seq <= count; seq++) {
      const roll = random();
      if (roll < 0.05) fromA.add(seq);
      else if (roll < 0.1) fromB.add(seq);
    }
    return { fromA, fromB };
  }

  async function run(by: "seq" | "id") {
    const count = 4_000;
    const { fromA, fromB } = lossyLines(count);
    rig = await FaultRig.start({ group: pairGroup({ by }) });
    const client = await rig.subscriber([TOPIC]);
    const lines = rig.upstreams;
    const drops = {
      a: (s: number) => fromA.has(s),
      b: (s: number) => fromB.has(s),
    };
    feed = new AbFeed({ lines, ratePerSecond: 2_000, count, drops });
    feed.start();
    await drain(feed, [client]);
    return { client, fromA, fromB, count };
  }

  it("merges them into the complete stream, in order (by seq)", async (t) => {
    const { client, fromA, fromB, count } = await run("seq");
    t.diagnostic(`line a dropped ${fromA.size}, line b ${fromB.size}`);

    const stream = checkTopicStream(client.frames, TOPIC);
    assertExactlyOnce(stream, 1, count);
    const bySeq = new Map(stream.messages.map((m) => [upstreamSeqOf(m), m]));
    for (const seq of fromA) assert.equal(bySeq.get(seq)?.source, "b");
    for (const seq of fromB) assert.equal(bySeq.get(seq)?.source, "a");
  });

  it("merges them into the complete stream, each once (by id)", async () => {
    const { client, count } = await run("id");

    // By id the gateway keeps first copies: a message one line dropped
    // may come from the other line after its successor, so no order.
    const seqs = client.messages().map(upstreamSeqOf);
    assert.equal(new Set(seqs).size, seqs.length, "no duplicates");
    const sorted = [...seqs].sort((x, y) => x - y);
    assert.deepEqual(
      sorted,
      Array.from({ length: count }, (_, i) => i + 1),
    );
    assert.equal(client.frames.filter((f) => f.type === "gap").length, 0);
  });
});
