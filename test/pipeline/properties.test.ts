import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Subject } from "rxjs";
import type { SourceMessage } from "../../src/envelope/index.js";
import {
  BoundedSet,
  createDedupe,
  GroupPipeline,
} from "../../src/pipeline/index.js";
import { message } from "./messages.js";

/** One copy arriving: which source sends which of the distinct messages. */
interface Arrival {
  readonly source: number;
  readonly index: number;
}

const keyArb = fc.record({
  topic: fc.constantFrom("t.a", "t.b", "t.c"),
  id: fc.string({ minLength: 1, maxLength: 4 }),
});

/** Distinct (topic, id) pairs, the sources, and a shuffle of their copies. */
const scenarioArb = fc
  .record({
    keys: fc.uniqueArray(keyArb, {
      minLength: 1,
      maxLength: 30,
      selector: (k) => `${k.topic}/${k.id}`,
    }),
    sources: fc.integer({ min: 2, max: 3 }),
    slack: fc.integer({ min: 0, max: 3 }),
  })
  .chain(({ keys, sources, slack }) => {
    const copiesOf = (index: number) =>
      fc
        .uniqueArray(fc.integer({ min: 0, max: sources - 1 }), {
          minLength: 1,
          maxLength: sources,
        })
        .map((senders) => senders.map((source) => ({ source, index })));
    return fc
      .tuple(...keys.map((_, index) => copiesOf(index)))
      .map((copies) => copies.flat())
      .chain((all) =>
        fc.shuffledSubarray(all, {
          minLength: all.length,
          maxLength: all.length,
        }),
      )
      .map((arrivals: Arrival[]) => ({
        keys,
        sources,
        window: keys.length + slack,
        arrivals,
      }));
  });

describe("pipeline properties", () => {
  it("id dedupe outputs each (topic, id) once, in first-seen order", () => {
    fc.assert(
      fc.property(scenarioArb, ({ keys, sources, window, arrivals }) => {
        const group = new GroupPipeline({
          id: "g",
          dedupe: { by: "id", window },
        });
        const subjects = Array.from(
          { length: sources },
          () => new Subject<SourceMessage>(),
        );
        subjects.forEach((s, i) => {
          group.addSource(`s${i}`, s);
        });
        const out: string[] = [];
        group.output.subscribe((event) => {
          if (event.type === "message") {
            out.push(`${event.message.topic}/${event.message.id}`);
          }
        });

        for (const { source, index } of arrivals) {
          const key = keys[index];
          assert.ok(key !== undefined);
          subjects[source]?.next(message({ ...key, source: `s${source}` }));
        }
        group.close();

        const firstSeen = [...new Set(arrivals.map(({ index }) => index))].map(
          (index) => `${keys[index]?.topic}/${keys[index]?.id}`,
        );
        assert.deepEqual(out, firstSeen);
        assert.equal(out.length, keys.length);
      }),
    );
  });

  it("seq dedupe keeps, per topic, exactly the running maxima", () => {
    const arrivalArb = fc.record({
      topic: fc.constantFrom("t.a", "t.b", "t.c"),
      upstreamSeq: fc.integer({ min: -5, max: 40 }),
    });
    fc.assert(
      fc.property(fc.array(arrivalArb, { maxLength: 80 }), (arrivals) => {
        const dedupe = createDedupe({ by: "seq", gapWaitMs: 0 });

        const kept = arrivals.filter((a) => dedupe.accept(message(a)));

        for (const topic of ["t.a", "t.b", "t.c"]) {
          const input = arrivals
            .filter((a) => a.topic === topic)
            .map((a) => a.upstreamSeq);
          const output = kept
            .filter((a) => a.topic === topic)
            .map((a) => a.upstreamSeq);
          const maxima = input.filter((seq, i) =>
            input.slice(0, i).every((earlier) => seq > earlier),
          );
          assert.deepEqual(output, maxima);
          for (let i = 1; i < output.length; i += 1) {
            assert.ok((output[i] ?? 0) > (output[i - 1] ?? 0));
          }
        }
      }),
    );
  });

  it("the bounded window holds at most its capacity, FIFO", () => {
    const opArb = fc.oneof(
      fc.record({ add: fc.integer({ min: 0, max: 15 }) }),
      fc.record({ has: fc.integer({ min: 0, max: 15 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(opArb, { maxLength: 200 }),
        (capacity, ops) => {
          const set = new BoundedSet<number>(capacity);
          const model: number[] = [];

          for (const op of ops) {
            if ("add" in op) {
              const isNew = !model.includes(op.add);
              assert.equal(set.add(op.add), isNew);
              if (isNew) {
                model.push(op.add);
                if (model.length > capacity) model.shift();
              }
            } else {
              assert.equal(set.has(op.has), model.includes(op.has));
            }
            assert.ok(set.size <= capacity);
            assert.deepEqual([...set], model);
          }
        },
      ),
    );
  });
});
