import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, it } from "node:test";
import { Subject } from "rxjs";
import type { SourceMessage } from "../../src/envelope/index.js";
import { GroupPipeline, PipelineError } from "../../src/pipeline/index.js";
import { createLogger } from "../../src/telemetry/index.js";
import { describeEvent, seqMessage } from "./events.js";
import { ManualClock } from "./manual-clock.js";
import { message } from "./messages.js";

/** Subscribes to the output and collects "source:id" of what it emits. */
function collect(group: GroupPipeline) {
  const seen: string[] = [];
  let completed = false;
  group.output.subscribe({
    next: (event) => {
      if (event.type === "message") {
        const m = event.message;
        seen.push(`${m.source}:${m.id ?? "-"}`);
      }
    },
    complete: () => {
      completed = true;
    },
  });
  return { seen, isCompleted: () => completed };
}

function memberIds(group: GroupPipeline): string[] {
  return group.stats.members.map((member) => member.id);
}

describe("GroupPipeline", () => {
  let group: GroupPipeline;
  let a: Subject<SourceMessage>;
  let b: Subject<SourceMessage>;

  beforeEach(() => {
    group = new GroupPipeline({ id: "g", dedupe: { by: "id", window: 100 } });
    a = new Subject();
    b = new Subject();
  });

  afterEach(() => {
    group.close();
  });

  it("merges overlapping sources, each message once in first-seen order", () => {
    const out = collect(group);
    group.addSource("a", a);
    group.addSource("b", b);

    a.next(message({ source: "a", id: "1" }));
    b.next(message({ source: "b", id: "1" }));
    b.next(message({ source: "b", id: "2" }));
    b.next(message({ source: "b", id: "3" }));
    a.next(message({ source: "a", id: "2" }));
    a.next(message({ source: "a", id: "3" }));
    a.next(message({ source: "a", id: "4" }));
    b.next(message({ source: "b", id: "4" }));

    assert.deepEqual(out.seen, ["a:1", "b:2", "b:3", "a:4"]);
    assert.deepEqual(group.stats.dedupe.sources, {
      a: { accepted: 2, duplicates: 2 },
      b: { accepted: 2, duplicates: 2 },
    });
  });

  it("is hot: runs without subscribers, late ones see what follows", () => {
    group.addSource("a", a);
    group.addSource("b", b);
    a.next(message({ source: "a", id: "1" }));

    const out = collect(group);
    b.next(message({ source: "b", id: "1" }));
    b.next(message({ source: "b", id: "2" }));

    assert.deepEqual(out.seen, ["b:2"]);
  });

  describe("addSource", () => {
    it("throws DUPLICATE_SOURCE for an id that is a member", () => {
      group.addSource("a", a);

      assert.throws(
        () => group.addSource("a", b),
        (err: unknown) =>
          err instanceof PipelineError &&
          err.code === "DUPLICATE_SOURCE" &&
          /source "a" is already a member of group "g"/.test(err.message),
      );
      assert.equal(b.observed, false);
    });

    it("takes an id again once its member has left", () => {
      group.addSource("a", a);
      group.removeSource("a");
      const again = new Subject<SourceMessage>();
      const out = collect(group);

      group.addSource("a", again);
      again.next(message({ source: "a", id: "1" }));

      assert.deepEqual(out.seen, ["a:1"]);
      assert.deepEqual(memberIds(group), ["a"]);
    });

    it("throws CLOSED after close", () => {
      group.close();

      assert.throws(
        () => group.addSource("a", a),
        (err: unknown) => err instanceof PipelineError && err.code === "CLOSED",
      );
    });
  });

  describe("removeSource", () => {
    it("stops consuming that source mid-stream, the others go on", () => {
      const out = collect(group);
      group.addSource("a", a);
      group.addSource("b", b);
      a.next(message({ source: "a", id: "1" }));
      b.next(message({ source: "b", id: "2" }));

      assert.equal(group.removeSource("a"), true);
      a.next(message({ source: "a", id: "3" }));
      b.next(message({ source: "b", id: "4" }));

      assert.deepEqual(out.seen, ["a:1", "b:2", "b:4"]);
      assert.equal(a.observed, false);
      assert.equal(b.observed, true);
      assert.deepEqual(memberIds(group), ["b"]);
      assert.equal(out.isCompleted(), false);
    });

    it("returns false for a source that is not a member", () => {
      assert.equal(group.removeSource("nobody"), false);
    });
  });

  describe("a failing member", () => {
    it("is logged and dropped while the others go on", () => {
      const lines: string[] = [];
      const destination = new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      });
      const logger = createLogger({ format: "json", destination });
      group.close();
      group = new GroupPipeline({
        id: "g",
        dedupe: { by: "none" },
        logger,
      });
      const out = collect(group);
      group.addSource("a", a);
      group.addSource("b", b);

      a.error(new Error("boom"));
      b.next(message({ source: "b", id: "1" }));

      assert.deepEqual(out.seen, ["b:1"]);
      assert.deepEqual(memberIds(group), ["b"]);
      assert.equal(out.isCompleted(), false);
      const record = JSON.parse(lines.at(-1) ?? "{}");
      assert.equal(record.source, "a");
      assert.equal(record.group, "g");
      assert.equal(record.err?.message, "boom");
    });

    it("ends only itself when it sends a message that cannot be judged", () => {
      group.close();
      group = new GroupPipeline({
        id: "g",
        dedupe: { by: "content", window: 10 },
      });
      const out = collect(group);
      group.addSource("a", a);
      group.addSource("b", b);

      const broken = { ...message({ source: "a" }), data: undefined };
      a.next(broken as unknown as SourceMessage);
      b.next(message({ source: "b", id: "1" }));

      assert.deepEqual(out.seen, ["b:1"]);
      assert.deepEqual(memberIds(group), ["b"]);
    });
  });

  it("forgets a member whose stream completes", () => {
    group.addSource("a", a);
    group.addSource("b", b);

    a.complete();

    assert.deepEqual(memberIds(group), ["b"]);
  });

  describe("with dedupe by seq", () => {
    it("merges two lossy lines and announces what both lost", () => {
      group.close();
      const clock = new ManualClock();
      group = new GroupPipeline({
        id: "g",
        dedupe: { by: "seq", gapWaitMs: 50 },
        clock,
      });
      const events: string[] = [];
      group.output.subscribe((event) => events.push(describeEvent(event)));
      group.addSource("a", a);
      group.addSource("b", b);

      for (const seq of [1, 2, 4, 6]) a.next(seqMessage("a", seq));
      for (const seq of [1, 3, 4, 6]) b.next(seqMessage("b", seq));
      clock.advance(50);

      assert.deepEqual(events, ["a:1", "a:2", "b:3", "a:4", "gap:5-5", "a:6"]);
      assert.equal(group.stats.sequence?.gaps, 1);
      assert.equal(group.stats.dedupe.duplicates, 3);
      assert.equal(group.active, undefined);
      assert.ok(group.stats.members.every((member) => member.active));
    });

    it("discards held messages and their timer on close", () => {
      group.close();
      const clock = new ManualClock();
      group = new GroupPipeline({
        id: "g",
        dedupe: { by: "seq", gapWaitMs: 50 },
        clock,
      });
      group.addSource("a", a);
      a.next(seqMessage("a", 1));
      a.next(seqMessage("a", 3));

      group.close();

      assert.equal(clock.pending, 0);
    });
  });

  it("refuses standby buffer limits out of range", () => {
    for (const standbyBuffer of [{ maxMessages: 0 }, { maxAgeMs: -1 }]) {
      assert.throws(
        () =>
          new GroupPipeline({
            id: "g",
            dedupe: { by: "none" },
            standbyBuffer,
          }),
        RangeError,
      );
    }
  });

  describe("close", () => {
    it("unsubscribes every member and completes the output", () => {
      const out = collect(group);
      group.addSource("a", a);
      group.addSource("b", b);

      group.close();
      group.close();

      assert.equal(out.isCompleted(), true);
      assert.equal(a.observed, false);
      assert.equal(b.observed, false);
      assert.deepEqual(memberIds(group), []);
    });
  });
});
