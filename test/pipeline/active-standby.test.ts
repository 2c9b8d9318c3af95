import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { afterEach, describe, it } from "node:test";
import type { DedupeConfig, FailbackConfig } from "../../src/config/index.js";
import { GroupPipeline, PipelineError } from "../../src/pipeline/index.js";
import { createLogger } from "../../src/telemetry/index.js";
import { describeEvent } from "./events.js";
import { ManualClock } from "./manual-clock.js";
import { FakeMember, record } from "./standby.js";

describe("GroupPipeline in active-standby", () => {
  let group: GroupPipeline | undefined;
  let clock: ManualClock;

  afterEach(() => {
    group?.close();
  });

  interface Setup {
    readonly dedupe?: DedupeConfig;
    readonly failback?: FailbackConfig;
    readonly dataDeadlineMs?: number;
    readonly maxAgeMs?: number;
  }

  /** A group of `members`, added in order with the priorities given. */
  function start(members: [FakeMember, number?][], setup: Setup = {}) {
    clock = new ManualClock();
    const created = new GroupPipeline({
      id: "g",
      mode: "active-standby",
      dedupe: setup.dedupe ?? { by: "seq", gapWaitMs: 50 },
      failback: setup.failback ?? { mode: "auto", holdDownMs: 1_000 },
      dataDeadlineMs: setup.dataDeadlineMs,
      standbyBuffer: { maxAgeMs: setup.maxAgeMs ?? 5_000 },
      clock,
    });
    group = created;
    const out = record(created);
    for (const [member, priority] of members) {
      const options = { health: member.health, priority };
      created.addSource(member.id, member.messages, options);
    }
    return {
      group: created,
      ...out,
      seen: () => out.events.map(describeEvent),
    };
  }

  it("passes only the highest-priority healthy member", () => {
    const a = new FakeMember("a");
    const b = new FakeMember("b");
    const { group, seen } = start([
      [b, 1],
      [a, 2],
    ]);

    a.send(1, 2);
    b.send(1, 2, 3);

    assert.equal(group.active, "a");
    assert.deepEqual(seen(), ["a:1", "a:2"]);
  });

  it("prefers the earlier member when no priorities are given", () => {
    const a = new FakeMember("a");
    const b = new FakeMember("b");
    const { group } = start([[a], [b]]);

    assert.equal(group.active, "a");
    assert.deepEqual(
      group.stats.members.map((m) => [m.id, m.priority, m.active]),
      [
        ["a", 0, true],
        ["b", 0, false],
      ],
    );
  });

  it("fails over when the primary goes down, replaying what it missed", () => {
    const a = new FakeMember("a");
    const b = new FakeMember("b");
    const { group, seen, failovers } = start([[a], [b]]);
    a.send(1, 2, 3);
    // b is ahead: a dies before sending 4 and 5.
    b.send(1, 2, 3, 4, 5);

    a.down();
    b.send(6);

    assert.equal(group.active, "b");
    assert.deepEqual(seen(), ["a:1", "a:2", "a:3", "b:4", "b:5", "b:6"]);
    assert.deepEqual(failovers.at(-1), {
      group: "g",
      from: "a",
      to: "b",
      reason: 'source "a" is down: connection reset',
      at: clock.now(),
    });
  });

  it("replays without duplicates under dedupe by id too", () => {
    const a = new FakeMember("a");
    const b = new FakeMember("b");
    const { seen } = start([[a], [b]], {
      dedupe: { by: "id", window: 100 },
    });
    a.send(1, 2);
    b.send(1, 2, 3);

    a.stale();

    const ids = seen().map((s) => s.split(":")[1]);
    assert.deepEqual(ids, ["1", "2", "3"]);
  });

  it("replays nothing older than the buffer's age; the hole becomes a gap", () => {
    const a = new FakeMember("a");
    const b = new FakeMember("b");
    const { seen } = start([[a], [b]], { maxAgeMs: 1_000 });
    a.send(1);
    b.send(1, 2);
    clock.advance(1_001);
    b.send(3);

    a.down();
    clock.advance(50);

    assert.deepEqual(seen(), ["a:1", "gap:2-2", "b:3"]);
  });

  it("fails back after the hold-down, with no duplicate", () => {
    const a = new FakeMember("a");
    const b = new FakeMember("b");
    const { group, seen, failovers } = start([[a], [b]]);
    a.send(1);
    a.down();
    b.send(1, 2);

    a.up();
    clock.advance(999);
    a.send(2, 3);
    b.send(3);
    assert.equal(group.active, "b");

    clock.advance(1);
    a.send(4);
    b.send(4);

    assert.equal(group.active, "a");
    assert.deepEqual(seen(), ["a:1", "b:2", "b:3", "a:4"]);
    assert.deepEqual(
      failovers.map(({ from, to }) => `${from}>${to}`),
      ["undefined>a", "a>b", "b>a"],
    );
    assert.match(failovers.at(-1)?.reason ?? "", /failback/);
  });

  it("restarts the hold-down when the preferred member flaps", () => {
    const a = new FakeMember("a");
    const b = new FakeMember("b");
    const { group } = start([[a], [b]]);
    a.down();
    a.up();
    clock.advance(600);
    a.down();
    a.up();

    clock.advance(600);
    assert.equal(group.active, "b");
    clock.advance(400);
    assert.equal(group.active, "a");
  });

  it("lets a preferred member that never failed take over at once", () => {
    const a = new FakeMember("a", false);
    const b = new FakeMember("b");
    const { group, failovers } = start([[a], [b]], {
      failback: { mode: "manual" },
    });
    assert.equal(group.active, "b");

    a.up();

    assert.equal(group.active, "a");
    assert.equal(
      failovers.at(-1)?.reason,
      'source "a" is preferred and healthy',
    );
  });

  it("stays on the standby with manual failback", () => {
    const a = new FakeMember("a");
    const b = new FakeMember("b");
    const { group } = start([[a], [b]], { failback: { mode: "manual" } });
    a.down();
    a.up();

    clock.advance(60_000);

    assert.equal(group.active, "b");
  });

  it("switches on forceActive and keeps that choice for the hold-down", () => {
    const a = new FakeMember("a");
    const b = new FakeMember("b");
    const { group, failovers } = start([[a], [b]]);
    clock.advance(5_000);

    group.forceActive("b");
    assert.equal(group.active, "b");
    assert.equal(failovers.at(-1)?.reason, 'forced to source "b"');

    clock.advance(999);
    assert.equal(group.active, "b");
    clock.advance(1);
    assert.equal(group.active, "a");
  });

  it("refuses forceActive for an unknown or unhealthy member", () => {
    const a = new FakeMember("a");
    const b = new FakeMember("b", false);
    const { group } = start([[a], [b]]);
    const refused = (id: string, code: string) =>
      assert.throws(
        () => group.forceActive(id),
        (err: unknown) => err instanceof PipelineError && err.code === code,
      );

    refused("nobody", "UNKNOWN_SOURCE");
    refused("b", "NOT_HEALTHY");
    assert.equal(group.active, "a");

    group.close();
    refused("a", "CLOSED");
  });

  it("refuses forceActive in active-active", () => {
    group = new GroupPipeline({ id: "g", dedupe: { by: "none" } });
    const active = group;

    assert.throws(
      () => active.forceActive("a"),
      (err: unknown) =>
        err instanceof PipelineError && err.code === "NOT_STANDBY",
    );
    assert.equal(active.active, undefined);
  });

  it("reports no active member when none is healthy, then recovers", () => {
    const a = new FakeMember("a");
    const b = new FakeMember("b");
    const { group, failovers, seen } = start([[a], [b]]);

    b.down();
    a.down();
    assert.equal(group.active, undefined);
    assert.equal(failovers.at(-1)?.to, undefined);
    b.send(1);

    b.up();

    assert.equal(group.active, "b");
    assert.deepEqual(seen(), ["b:1"]);
  });

  it("fails over when the active member is silent past dataDeadlineMs", () => {
    const a = new FakeMember("a");
    const b = new FakeMember("b");
    const { group, failovers } = start([[a], [b]], { dataDeadlineMs: 500 });
    clock.advance(400);
    a.send(1);
    b.send(1);
    clock.advance(400);
    b.send(2);
    assert.equal(group.active, "a");

    clock.advance(100);

    assert.equal(group.active, "b");
    assert.equal(
      failovers.at(-1)?.reason,
      'no message from source "a" for 500 ms',
    );
  });

  it("fails over when the active member's stream fails or is removed", () => {
    const a = new FakeMember("a");
    const b = new FakeMember("b");
    const c = new FakeMember("c");
    const { group, failovers } = start([[a], [b], [c]]);

    a.messages.error(new Error("boom"));
    assert.equal(group.active, "b");
    group.removeSource("b");

    assert.equal(group.active, "c");
    assert.deepEqual(
      failovers.slice(1).map((f) => f.reason),
      [
        'source "a" left the group: its stream failed',
        'source "b" left the group: removed',
      ],
    );
  });

  it("counts a failed health stream as down", () => {
    const a = new FakeMember("a");
    const b = new FakeMember("b");
    const { group } = start([[a], [b]]);

    a.health.error(new Error("lost"));

    assert.equal(group.active, "b");
    assert.equal(group.stats.members[0]?.health?.state, "down");
  });

  it("treats a member without a health stream as up", () => {
    clock = new ManualClock();
    group = new GroupPipeline({
      id: "g",
      mode: "active-standby",
      dedupe: { by: "none" },
      clock,
    });
    const a = new FakeMember("a");

    group.addSource("a", a.messages);

    assert.equal(group.active, "a");
    assert.equal(group.stats.members[0]?.health?.state, "up");
  });

  it("logs every switch at warn with from, to and reason", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ format: "json", destination });
    group = new GroupPipeline({
      id: "g",
      mode: "active-standby",
      dedupe: { by: "none" },
      logger,
    });
    const a = new FakeMember("a");
    const b = new FakeMember("b");
    group.addSource("a", a.messages, { health: a.health });
    group.addSource("b", b.messages, { health: b.health });

    a.down();

    const record = JSON.parse(lines.at(-1) ?? "{}");
    assert.equal(record.level, 40);
    assert.equal(record.msg, "failover");
    assert.equal(record.group, "g");
    assert.equal(record.from, "a");
    assert.equal(record.to, "b");
    assert.match(record.reason, /down/);
  });

  it("refuses a priority that is not finite", () => {
    const { group } = start([]);
    const a = new FakeMember("a");

    assert.throws(
      () => group.addSource("a", a.messages, { priority: Number.NaN }),
      RangeError,
    );
  });

  it("emits no failover while closing", () => {
    const a = new FakeMember("a");
    const b = new FakeMember("b");
    const { group, failovers } = start([[a], [b]]);

    group.close();

    assert.equal(failovers.length, 1);
    assert.equal(a.messages.observed, false);
    assert.equal(a.health.observed, false);
    assert.equal(clock.pending, 0);
  });
});
