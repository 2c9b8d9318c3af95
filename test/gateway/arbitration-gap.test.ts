import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { AbFeed } from "../support/ab-feed.js";
import { FaultRig } from "../support/fault-rig.js";
import { checkTopicStream, upstreamSeqOf } from "../support/stream-check.js";
import { waitFor } from "../support/wait-for.js";

const TOPIC = "ticks.X";

/** Issue 4, item 5 asks for gaps per client in ListClients. */
describe("a message lost on both lines of a seq-arbitrated pair", () => {
  let rig: FaultRig | undefined;
  let feed: AbFeed | undefined;

  afterEach(async () => {
    feed?.stop();
    await rig?.stop();
    rig = undefined;
  });

  it("is announced once, in gateway seqs, and the stream goes on", async (t) => {
    rig = await FaultRig.start({
      group: {
        id: "ticks",
        sources: ["a", "b"],
        dedupe: { by: "seq", gapWaitMs: 50 },
      },
    });
    const clients = [
      await rig.subscriber([TOPIC]),
      await rig.subscriber(["ticks.>"]),
    ];
    // Upstream numbers start at 1001, so gateway seq = upstream - 1000:
    // a gap given in upstream terms would be caught.
    const lostByBoth = (seq: number) => seq >= 1_010 && seq <= 1_012;
    feed = new AbFeed({
      lines: rig.upstreams,
      ratePerSecond: 500,
      count: 60,
      firstSeq: 1_001,
      drops: {
        a: (seq) => lostByBoth(seq) || seq === 1_020,
        b: (seq) => lostByBoth(seq) || seq === 1_021,
      },
    });
    feed.start();
    await waitFor("the last message at every subscriber", () =>
      clients.every((c) =>
        c.messages().some((m) => upstreamSeqOf(m) === feed?.lastSeq),
      ),
    );

    for (const client of clients) {
      const stream = checkTopicStream(client.frames, TOPIC);
      assert.equal(stream.gaps.length, 1, JSON.stringify(stream.gaps));
      const gap = stream.gaps[0];
      assert.equal(gap?.fromSeq, 10);
      assert.equal(gap?.toSeq, 12);
      assert.equal(gap?.reason, "missing-upstream");
      assert.equal(gap?.epoch, stream.messages[0]?.epoch);
      const expected = Array.from({ length: 60 }, (_, i) => 1_001 + i).filter(
        (seq) => !lostByBoth(seq),
      );
      assert.deepEqual(stream.upstream, expected);
      // In its place: right after 1009, right before 1013.
      const mine = client.frames.filter((f) => f.topic === TOPIC);
      const at = mine.findIndex((f) => f.type === "gap");
      const around = [mine[at - 1], mine[at + 1]];
      assert.deepEqual(
        around.map((f) => f && upstreamSeqOf(f)),
        [1_009, 1_013],
      );
    }
    const [topic] = rig.gateway.gateway.control.listTopics(TOPIC);
    assert.equal(topic?.gaps, 1);
    assert.equal(topic?.seq, 60);

    const control = rig.gateway.gateway.control;
    await t.test("and counted per client in ListClients", () => {
      const clientGaps = control.listClients().map((v) => v.gaps);
      assert.deepEqual(clientGaps, [1, 1]);
    });
  });
});
