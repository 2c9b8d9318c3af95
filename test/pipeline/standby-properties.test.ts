import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { GroupPipeline } from "../../src/pipeline/index.js";
import { ManualClock } from "./manual-clock.js";
import { FakeMember, record } from "./standby.js";

/** A step: line `line` sends its next copy, or flips its health. */
const stepArb = (lines: number) =>
  fc.record({
    line: fc.nat(lines - 1),
    flip: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
  });

const scenarioArb = fc
  .record({
    n: fc.integer({ min: 1, max: 80 }),
    lines: fc.integer({ min: 2, max: 3 }),
    dropEvery: fc.constantFrom(0, 3, 5, 7),
  })
  .chain((base) =>
    fc.record({
      base: fc.constant(base),
      steps: fc.array(stepArb(base.lines), { maxLength: 300 }),
      manual: fc.boolean(),
    }),
  );

describe("active-standby properties", () => {
  it("switches any number of times without loss or duplicate", () => {
    fc.assert(
      fc.property(scenarioArb, ({ base, steps, manual }) => {
        const { n, lines, dropEvery } = base;
        const clock = new ManualClock();
        const group = new GroupPipeline({
          id: "g",
          mode: "active-standby",
          dedupe: { by: "seq", gapWaitMs: 50 },
          failback: manual
            ? { mode: "manual" }
            : { mode: "auto", holdDownMs: 0 },
          clock,
        });
        const { events } = record(group);
        const members = Array.from(
          { length: lines },
          (_, i) => new FakeMember(`m${i}`),
        );
        for (const m of members) {
          group.addSource(m.id, m.messages, { health: m.health });
        }
        // Line 0 is complete; the others may each miss every k-th number.
        const lineSeqs = members.map((_, i) =>
          Array.from({ length: n }, (_, k) => k + 1).filter(
            (seq) => i === 0 || dropEvery === 0 || (seq + i) % dropEvery !== 0,
          ),
        );
        const cursors = members.map(() => 0);
        const up = members.map(() => true);
        const send = (i: number) => {
          const seq = lineSeqs[i]?.[cursors[i] ?? 0];
          if (seq === undefined) return;
          members[i]?.send(seq);
          cursors[i] = (cursors[i] ?? 0) + 1;
        };

        for (const { line, flip } of steps) {
          if (!flip) {
            send(line);
            continue;
          }
          up[line] = !up[line];
          if (up[line]) members[line]?.up();
          else members[line]?.down();
        }
        // The complete line comes up and finishes; the others finish too.
        members[0]?.up();
        if (manual) group.forceActive("m0");
        members.forEach((_, i) => {
          while ((cursors[i] ?? 0) < (lineSeqs[i]?.length ?? 0)) send(i);
        });
        clock.runAll();
        group.close();

        const first = events.find((e) => e.type === "message");
        assert.ok(first?.type === "message");
        const start = first.message.upstreamSeq ?? 0;
        const seqs = events.flatMap((e) =>
          e.type === "message" ? [e.message.upstreamSeq] : [],
        );
        const expected = Array.from(
          { length: n - start + 1 },
          (_, k) => k + start,
        );
        assert.deepEqual(seqs, expected);
        assert.ok(events.every((e) => e.type === "message"));
      }),
      { numRuns: 300 },
    );
  });
});
