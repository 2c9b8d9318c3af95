import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { AbFeed } from "../support/ab-feed.js";
import type { Frame } from "../support/client.js";
import { FaultRig } from "../support/fault-rig.js";
import {
  assertExactlyOnce,
  checkTopicStream,
  upstreamSeqOf,
} from "../support/stream-check.js";
import { waitFor } from "../support/wait-for.js";

const TOPIC = "ticks.X";

describe("an upstream that restarts its numbering under seq arbitration", () => {
  let rig: FaultRig | undefined;
  let feed: AbFeed | undefined;

  afterEach(async () => {
    feed?.stop();
    await rig?.stop();
    rig = undefined;
  });

  it("starts a new epoch once, not a flood of duplicates", async () => {
    const r = await FaultRig.start({
      group: { id: "ticks", sources: ["a", "b"], dedupe: { by: "seq" } },
    });
    rig = r;
    const client = await r.subscriber([TOPIC]);
    const before = new AbFeed({
      lines: r.upstreams,
      ratePerSecond: 2_000,
      count: 500,
    });
    feed = before;
    before.start();
    await waitFor("the first numbering", () =>
      client.messages().some((m) => upstreamSeqOf(m) === 500),
    );

    // Both lines carry the one upstream, which starts again from 1.
    const after = new AbFeed({
      lines: r.upstreams,
      ratePerSecond: 2_000,
      count: 500,
    });
    feed = after;
    after.start();
    await waitFor("the second numbering", () => {
      const last = client.messages().at(-1);
      return (
        after.finished && last !== undefined && upstreamSeqOf(last) === 500
      );
    });

    const stream = checkTopicStream(client.frames, TOPIC);
    assert.equal(stream.resets.length, 1, JSON.stringify(stream.resets));
    const reset = stream.resets[0] as Frame;
    assert.equal(reset.reason, "upstream-reset");
    const mine = client.frames.filter((f) => f.topic === TOPIC);
    const cut = mine.indexOf(reset);
    const split = (frames: Frame[]) => checkTopicStream(frames, TOPIC);
    const old = split(mine.slice(0, cut));
    const fresh = split(mine.slice(cut + 1));
    assertExactlyOnce(old, 1, 500, "before the reset");
    assertExactlyOnce(fresh, 1, 500, "after the reset");
    assert.equal(fresh.messages[0]?.seq, 1, "gateway seqs start again");
    assert.equal(fresh.messages[0]?.epoch, reset.epoch);
    assert.notEqual(reset.epoch, old.messages[0]?.epoch);
  });
});
