import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { AbFeed } from "../support/ab-feed.js";
import { FaultRig } from "../support/fault-rig.js";
import { upstreamSeqOf } from "../support/stream-check.js";
import { waitFor } from "../support/wait-for.js";

const TOPIC = "ticks.X";

/**
 * Seen first under CPU load: a standby's pong queued behind its own data
 * for longer than the ping interval, the standby was cut as "no pong",
 * and 1,068 messages became a gap. Reproduced here with added latency.
 */

describe("a busy source whose pongs queue behind its data", () => {
  let rig: FaultRig | undefined;
  let feed: AbFeed | undefined;

  afterEach(async () => {
    feed?.stop();
    await rig?.stop();
    rig = undefined;
  });

  it("keeps delivering while its pongs arrive late", async (t) => {
    const r = await FaultRig.start({
      lines: ["feed"],
      source: { heartbeat: { type: "ping", intervalMs: 200 } },
    });
    rig = r;
    const client = await r.subscriber([TOPIC]);
    const tape = new AbFeed({
      lines: r.upstreams,
      ratePerSecond: 500,
      count: 750,
    });
    feed = tape;
    tape.start();
    // Once data flows, every byte from the upstream, pongs included, is
    // made to arrive 300 ms late, in two steps: each step silences the
    // link for its difference (150 ms), less than the ping interval, as a
    // silence longer than that rightly counts as a dead link.
    await waitFor("data to flow", () => client.messages().length > 0);
    r.proxies.feed?.set("toClient", { latencyMs: 150 });
    await waitFor("more data", () => client.messages().length > 100);
    r.proxies.feed?.set("toClient", { latencyMs: 300 });
    await waitFor(
      "the tape, or its end",
      () =>
        tape.finished &&
        Date.now() >=
          (tape.sentAt(tape.lastSeq) ?? Number.POSITIVE_INFINITY) + 600,
      10_000,
    );

    const downs = r.events.filter(
      (e) => e.type === "source-health" && e.to.state === "down",
    );
    for (const line of r.timeline()) t.diagnostic(line);
    // A group of one has no seq arbitration: what a reconnect loses is
    // not announced, so only count what arrived.
    const got = client.messages().map(upstreamSeqOf);
    t.diagnostic(`${got.length} of ${tape.lastSeq} delivered`);
    assert.ok(got.length > 0, "data flowed");
    await t.test("is not declared dead and loses none of it", () => {
      assert.deepEqual(downs, []);
      assert.ok(
        client.messages().some((m) => upstreamSeqOf(m) === tape.lastSeq),
      );
      assert.equal(got.length, tape.lastSeq);
    });
  });
});
