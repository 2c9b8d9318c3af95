import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { ControlError, type GatewayEvent } from "../../src/gateway/index.js";
import { AbFeed } from "../support/ab-feed.js";
import type { Frame, TestClient } from "../support/client.js";
import { FaultRig } from "../support/fault-rig.js";
import {
  assertExactlyOnce,
  checkTopicStream,
  upstreamSeqOf,
} from "../support/stream-check.js";
import { waitFor } from "../support/wait-for.js";

const TOPIC = "ticks.X";
const STALE_AFTER_MS = 500;
const HOLD_DOWN_MS = 500;

function standbyGroup(failback: Record<string, unknown>) {
  return {
    id: "ticks",
    mode: "active-standby",
    sources: [
      { id: "primary", priority: 10 },
      { id: "standby", priority: 5 },
    ],
    dedupe: { by: "seq", gapWaitMs: 50 },
    failback,
  };
}

type Failover = Extract<GatewayEvent, { type: "failover" }>;

/** The sources of consecutive messages, each run of one source once. */
function sourceRuns(messages: readonly Frame[]): string[] {
  const runs: string[] = [];
  for (const { source } of messages) {
    if (runs.at(-1) !== source) runs.push(String(source));
  }
  return runs;
}

describe("an active-standby pair whose primary dies and returns", () => {
  let rig: FaultRig | undefined;
  let feed: AbFeed | undefined;

  afterEach(async () => {
    feed?.stop();
    await rig?.stop();
    rig = undefined;
  });

  /** Starts the pair and the tape; resolves once the primary leads. */
  async function start(failback: Record<string, unknown>) {
    rig = await FaultRig.start({
      lines: ["primary", "standby"],
      group: standbyGroup(failback),
      source: {
        staleAfterMs: STALE_AFTER_MS,
        // Slow pings: the kill is an RST, and a fast ping under CPU load
        // trips the heartbeat defect of failover-heartbeat.test.ts.
        heartbeat: { type: "ping", intervalMs: 1_000 },
      },
    });
    const client = await rig.subscriber([TOPIC]);
    feed = new AbFeed({
      lines: rig.upstreams,
      ratePerSecond: 2_000,
      count: 6_000,
    });
    feed.start();
    const running = { rig, feed, client };
    await waitFor(
      "the primary to lead",
      () => running.rig.active("ticks") === "primary" && feed?.sentSeq !== 0,
    );
    return running;
  }

  /** A failover event after `since` that satisfies `match`. */
  async function nextFailover(
    since: number,
    match: (event: Failover) => boolean,
  ): Promise<Failover> {
    const find = () => rig?.failovers().find((e) => e.at >= since && match(e));
    await waitFor("a failover event", () => find() !== undefined);
    return find() as Failover;
  }

  /** Kills the primary and measures the switch to the standby. */
  async function killPrimary(
    running: { rig: FaultRig; client: TestClient },
    diagnostic: (message: string) => void,
  ): Promise<number> {
    const { rig: r, client } = running;
    const killedAt = r.kill("primary");
    const event = await nextFailover(killedAt, (e) => e.to === "standby");
    await waitFor("a message from the standby", () =>
      client.messages().some((m) => m.source === "standby"),
    );
    const deliveredMs = Date.now() - killedAt;

    const failoverMs = event.at - killedAt;
    diagnostic(`failover primary -> standby: ${failoverMs} ms (event)`);
    diagnostic(`first standby message at the client: <= ${deliveredMs} ms`);
    diagnostic(`reason: ${event.reason}`);
    assert.equal(event.from, "primary");
    assert.equal(event.group, "ticks");
    assert.ok(failoverMs <= STALE_AFTER_MS + 1_000, `${failoverMs} ms`);
    return killedAt;
  }

  /** Revives the primary; resolves with when its source came up. */
  async function revivePrimary(r: FaultRig): Promise<number> {
    const revivedAt = Date.now();
    r.revive("primary");
    const upEvent = () =>
      r.events.find(
        (e) =>
          e.type === "source-health" &&
          e.source === "primary" &&
          e.to.state === "up" &&
          e.at >= revivedAt,
      );
    await waitFor("the primary to come back up", () => upEvent() !== undefined);
    return upEvent()?.at ?? revivedAt;
  }

  async function finish(
    running: { rig: FaultRig; feed: AbFeed; client: TestClient },
    diagnostic: (message: string) => void,
  ) {
    const { feed: tape, client } = running;
    for (const line of running.rig.timeline()) diagnostic(line);
    await waitFor(
      "the whole tape",
      () =>
        tape.finished &&
        client.messages().some((m) => upstreamSeqOf(m) === tape.lastSeq),
      15_000,
    );
    const stream = checkTopicStream(client.frames, TOPIC);
    assertExactlyOnce(stream, 1, tape.lastSeq);
    assert.deepEqual(sourceRuns(stream.messages), [
      "primary",
      "standby",
      "primary",
    ]);
  }

  it("fails over, then fails back after the hold-down (auto)", async (t) => {
    const running = await start({ mode: "auto", holdDownMs: HOLD_DOWN_MS });
    await waitFor("message 1000", () => running.feed.sentSeq >= 1_000);
    await killPrimary(running, (m) => t.diagnostic(m));

    await waitFor("message 3000", () => running.feed.sentSeq >= 3_000);
    const upAt = await revivePrimary(running.rig);
    const back = await nextFailover(upAt, (e) => e.to === "primary");

    const failbackMs = back.at - upAt;
    t.diagnostic(`failback standby -> primary: ${failbackMs} ms after up`);
    t.diagnostic(`reason: ${back.reason}`);
    assert.equal(back.from, "standby");
    assert.match(back.reason, /failback/);
    assert.ok(failbackMs >= HOLD_DOWN_MS - 50, `${failbackMs} ms`);
    assert.ok(failbackMs <= HOLD_DOWN_MS + 1_000, `${failbackMs} ms`);
    await finish(running, (m) => t.diagnostic(m));
  });

  it("stays on the standby until told (manual)", async (t) => {
    const running = await start({ mode: "manual" });
    const control = running.rig.gateway.gateway.control;
    await waitFor("message 1000", () => running.feed.sentSeq >= 1_000);
    const killedAt = await killPrimary(running, (m) => t.diagnostic(m));

    const refused = (() => {
      try {
        control.failover("ticks", "primary");
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    assert.ok(refused instanceof ControlError, String(refused));
    assert.equal(refused.code, "FAILED_PRECONDITION");
    assert.match(refused.message, /primary/);

    await waitFor("message 2500", () => running.feed.sentSeq >= 2_500);
    const upAt = await revivePrimary(running.rig);
    // Nothing to poll for: the point is that nothing happens this long.
    await waitFor(
      "twice the hold-down",
      () => Date.now() >= upAt + 2 * HOLD_DOWN_MS,
    );
    assert.equal(running.rig.active("ticks"), "standby");
    const since = running.rig.failovers().filter((e) => e.at >= killedAt);
    assert.deepEqual(
      since.map((e) => e.to),
      ["standby"],
    );

    const forcedAt = Date.now();
    const view = control.failover("ticks", "primary");
    assert.equal(view.active, "primary");
    const forced = await nextFailover(forcedAt, (e) => e.to === "primary");
    t.diagnostic(`forced: ${forced.reason}`);
    assert.match(forced.reason, /forced/);
    await finish(running, (m) => t.diagnostic(m));
  });
});
