import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { AbFeed } from "../support/ab-feed.js";
import type { TestClient } from "../support/client.js";
import { FaultRig, type FaultRigOptions } from "../support/fault-rig.js";
import {
  assertExactlyOnce,
  checkTopicStream,
  upstreamSeqOf,
} from "../support/stream-check.js";
import { waitFor } from "../support/wait-for.js";

const TOPIC = "ticks.X";
/**
 * Slow pings: none of these cases needs a fast one, and a fast ping under
 * CPU load trips the defect shown in failover-heartbeat.test.ts.
 */
const PING = { type: "ping", intervalMs: 1_000 };
/** Fast enough that a quiet second still sees pings answered. */
const QUIET_PING = { type: "ping", intervalMs: 400 };

function standbyGroup(extra: Record<string, unknown> = {}) {
  return {
    id: "ticks",
    mode: "active-standby",
    sources: [
      { id: "primary", priority: 10 },
      { id: "standby", priority: 5 },
    ],
    dedupe: { by: "seq", gapWaitMs: 50 },
    failback: { mode: "auto", holdDownMs: 500 },
    ...extra,
  };
}

describe("an active source that stops sending but answers pings", () => {
  let rig: FaultRig | undefined;
  let feed: AbFeed | undefined;

  afterEach(async () => {
    feed?.stop();
    await rig?.stop();
    rig = undefined;
  });

  async function start(options: FaultRigOptions, count: number) {
    const r = await FaultRig.start({
      lines: ["primary", "standby"],
      ...options,
    });
    rig = r;
    const client = await r.subscriber([TOPIC]);
    const tape = new AbFeed({
      lines: r.upstreams,
      ratePerSecond: 1_000,
      count,
    });
    feed = tape;
    tape.start();
    await waitFor(
      "the primary to lead with the tape running",
      () => r.active("ticks") === "primary" && tape.sentSeq > 0,
    );
    return { rig: r, feed: tape, client };
  }

  /** The first failover to the standby after `since`, and its delay. */
  async function switched(r: FaultRig, since: number) {
    const find = () =>
      r
        .failovers()
        .find(
          (e) => e.at >= since && e.from === "primary" && e.to === "standby",
        );
    await waitFor("the failover", () => find() !== undefined, 5_000);
    const event = find();
    return { event, afterMs: (event?.at ?? 0) - since };
  }

  async function drain(tape: AbFeed, client: TestClient) {
    await waitFor(
      "the whole tape",
      () =>
        tape.finished &&
        client.messages().some((m) => upstreamSeqOf(m) === tape.lastSeq),
      10_000,
    );
    const stream = checkTopicStream(client.frames, TOPIC);
    assertExactlyOnce(stream, 1, tape.lastSeq);
    return stream;
  }

  it("goes stale after staleAfterMs and the standby takes over", async (t) => {
    const staleAfterMs = 500;
    const source = { staleAfterMs, heartbeat: PING };
    const running = await start({ group: standbyGroup(), source }, 3_000);
    const { rig: r, feed: tape, client } = running;

    await waitFor("message 800", () => tape.sentSeq >= 800);
    const mutedAt = Date.now();
    tape.mute("primary");
    const { event, afterMs } = await switched(r, mutedAt);
    t.diagnostic(`silence -> standby: ${afterMs} ms (stale ${staleAfterMs})`);
    t.diagnostic(`reason: ${event?.reason}`);
    assert.match(String(event?.reason), /stale/);
    assert.ok(afterMs >= staleAfterMs - 50, `${afterMs} ms`);
    assert.ok(afterMs <= staleAfterMs + 1_000, `${afterMs} ms`);

    tape.mute("primary", false);
    const back = () =>
      r.failovers().find((e) => e.at > (event?.at ?? 0) && e.to === "primary");
    await waitFor("the failback", () => back() !== undefined, 5_000);
    t.diagnostic(`failback: ${back()?.reason}`);
    await drain(tape, client);
  });

  it("stays active through a quiet market without a data deadline", async () => {
    const running = await start(
      { group: standbyGroup(), source: { heartbeat: QUIET_PING } },
      300,
    );
    const { rig: r, feed: tape } = running;
    await waitFor("the tape to end", () => tape.finished);
    const quietFrom = Date.now();

    // Nothing to poll for: two ping rounds of silence must change nothing.
    await waitFor("a second of silence", () => Date.now() >= quietFrom + 1_000);
    assert.deepEqual(
      r.failovers().filter((e) => e.at >= quietFrom),
      [],
    );
    assert.equal(r.active("ticks"), "primary");
    const health = r.gateway.gateway.control.getSource("primary").health;
    assert.equal(health.state, "up");
    assert.ok(r.upstreams.primary?.clients.size === 1, "still connected");
  });

  it("fails over on a silent primary when the group sets a data deadline", async (t) => {
    const dataDeadlineMs = 400;
    const group = standbyGroup({ dataDeadlineMs });
    const running = await start({ group, source: { heartbeat: PING } }, 2_500);
    const { rig: r, feed: tape, client } = running;

    await waitFor("message 800", () => tape.sentSeq >= 800);
    const mutedAt = Date.now();
    tape.mute("primary");
    const { event, afterMs } = await switched(r, mutedAt);
    t.diagnostic(
      `silence -> standby: ${afterMs} ms (deadline ${dataDeadlineMs})`,
    );
    t.diagnostic(`reason: ${event?.reason}`);
    assert.match(String(event?.reason), /no message from source "primary"/);
    assert.ok(afterMs >= dataDeadlineMs - 50, `${afterMs} ms`);
    assert.ok(afterMs <= dataDeadlineMs + 1_000, `${afterMs} ms`);
    const health = r.gateway.gateway.control.getSource("primary").health;
    assert.equal(health.state, "up", "connected and answering pings");

    await drain(tape, client);
  });
});
