import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type GroupEvent, SequenceArbiter } from "../../src/pipeline/index.js";
import { seqMessage } from "./events.js";
import { ManualClock } from "./manual-clock.js";

/** How far a copy may move ahead of its place on its own line. */
const MAX_REORDER = 5;

/** One line's copies of 1..n: lossy, with duplicates, locally reordered. */
function lineArb(n: number) {
  const copyArb = fc.record({
    kept: fc.boolean(),
    doubled: fc.integer({ min: 0, max: 9 }).map((d) => d === 0),
    shift: fc.integer({ min: 0, max: MAX_REORDER }),
    shiftCopy: fc.integer({ min: 0, max: MAX_REORDER }),
  });
  return fc.array(copyArb, { minLength: n, maxLength: n }).map((copies) => {
    const keyed: { seq: number; key: number }[] = [];
    copies.forEach((copy, i) => {
      if (!copy.kept) return;
      keyed.push({ seq: i + 1, key: i + copy.shift });
      if (copy.doubled) keyed.push({ seq: i + 1, key: i + copy.shiftCopy });
    });
    // Stable: equal keys keep their order, so a copy moves at most
    // MAX_REORDER places.
    return keyed.sort((a, b) => a.key - b.key).map(({ seq }) => seq);
  });
}

/** 2 or 3 lines of one sequence, and the order their copies arrive in. */
const scenarioArb = fc
  .record({
    n: fc.integer({ min: 1, max: 60 }),
    lines: fc.integer({ min: 2, max: 3 }),
  })
  .chain(({ n, lines }) =>
    fc.record({
      lines: fc.array(lineArb(n), { minLength: lines, maxLength: lines }),
      picks: fc.array(fc.nat(lines - 1), { maxLength: 400 }),
      pauses: fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 400 }),
    }),
  );

interface Arrival {
  readonly source: string;
  readonly seq: number;
}

/** Interleaves the lines by `picks`, then appends what is left in turn. */
function interleave(lines: number[][], picks: number[]): Arrival[] {
  const cursors = lines.map(() => 0);
  const out: Arrival[] = [];
  const take = (line: number) => {
    const seq = lines[line]?.[cursors[line] ?? 0];
    if (seq === undefined) return;
    out.push({ source: `line-${line}`, seq });
    cursors[line] = (cursors[line] ?? 0) + 1;
  };
  for (const line of picks) take(line);
  lines.forEach((copies, line) => {
    while ((cursors[line] ?? 0) < copies.length) take(line);
  });
  return out;
}

/**
 * Checks that the events cover `first`..`last` contiguously, in order,
 * each number once, by a message or by a gap event, with no two gap
 * events in a row (each hole announced by one event).
 */
function assertContiguous(events: GroupEvent[], first: number, last: number) {
  let next = first;
  let previous: GroupEvent["type"] | undefined;
  for (const event of events) {
    assert.notEqual(event.type, "reset");
    if (event.type === "message") {
      assert.equal(event.message.upstreamSeq, next);
      next += 1;
    } else if (event.type === "gap") {
      assert.notEqual(previous, "gap", "a hole split into two gap events");
      assert.equal(event.fromUpstreamSeq, next);
      assert.equal(event.count, event.toUpstreamSeq - next + 1);
      assert.ok(event.count >= 1);
      next = event.toUpstreamSeq + 1;
    }
    previous = event.type;
  }
  assert.equal(next, last + 1);
}

function run(arrivals: Arrival[], gapWaitMs: number, pauses: number[]) {
  const clock = new ManualClock();
  const events: GroupEvent[] = [];
  const arbiter = new SequenceArbiter({ gapWaitMs, clock }, (event) =>
    events.push(event),
  );
  arrivals.forEach(({ source, seq }, i) => {
    arbiter.admit(seqMessage(source, seq));
    clock.advance(pauses[i] ?? 0);
  });
  clock.runAll();
  assert.equal(arbiter.stats.sequence.held, 0);
  assert.equal(clock.pending, 0);
  return events;
}

describe("sequence arbiter properties", () => {
  it("delivers every number some line has and announces each hole once", () => {
    fc.assert(
      fc.property(
        scenarioArb,
        fc.integer({ min: 1, max: 100 }),
        ({ lines, picks }, gapWaitMs) => {
          const arrivals = interleave(lines, picks);
          fc.pre(arrivals.length > 0);

          // Every copy arrives within the wait: nothing is given up early.
          const events = run(arrivals, gapWaitMs, []);

          // The first arrival sets the expectation; lower ones are late.
          const first = arrivals[0]?.seq ?? 0;
          const present = new Set(arrivals.map(({ seq }) => seq));
          const last = Math.max(...present);
          assertContiguous(events, first, last);
          for (const event of events) {
            if (event.type !== "gap") continue;
            for (let s = event.fromUpstreamSeq; s <= event.toUpstreamSeq; s++) {
              assert.ok(!present.has(s), `${s} was announced but present`);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("stays ordered, duplicate-free and hole-accounted under any timing", () => {
    fc.assert(
      fc.property(
        scenarioArb,
        fc.integer({ min: 0, max: 20 }),
        ({ lines, picks, pauses }, gapWaitMs) => {
          const arrivals = interleave(lines, picks);
          fc.pre(arrivals.length > 0);

          const events = run(arrivals, gapWaitMs, pauses);

          const first = arrivals[0]?.seq ?? 0;
          const delivered = events.flatMap((e) =>
            e.type === "message" ? [e.message.upstreamSeq ?? 0] : [],
          );
          const last = Math.max(first, ...delivered);
          assertContiguous(events, first, last);
          // A copy of a number is late only once a higher one has passed.
          const present = new Set(arrivals.map(({ seq }) => seq));
          assert.ok(delivered.every((seq) => present.has(seq)));
          assert.equal(last, Math.max(...present));
        },
      ),
      { numRuns: 300 },
    );
  });
});
