import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Backoff } from "../../src/sources/index.js";

const tunables = { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2 };

function delays(backoff: Backoff, count: number): number[] {
  return Array.from({ length: count }, () => backoff.next());
}

describe("Backoff", () => {
  describe("next()", () => {
    it("grows the ceiling by the multiplier up to the cap", () => {
      const backoff = new Backoff({ ...tunables, random: () => 0.999_999 });

      const ceilings = delays(backoff, 6).map((delay) => delay + 1);

      assert.deepEqual(ceilings, [100, 200, 400, 800, 1_000, 1_000]);
    });

    it("scales the ceiling by random() for full jitter", () => {
      const backoff = new Backoff({ ...tunables, random: () => 0.25 });

      assert.deepEqual(delays(backoff, 3), [25, 50, 100]);
    });

    it("waits nothing when random() returns 0", () => {
      const backoff = new Backoff({ ...tunables, random: () => 0 });

      assert.deepEqual(delays(backoff, 3), [0, 0, 0]);
    });

    it("stays in bounds when random() misbehaves", () => {
      const values = [Number.NaN, -1, 7, Number.POSITIVE_INFINITY];
      const backoff = new Backoff({
        ...tunables,
        random: () => values.shift() ?? 0,
      });

      assert.deepEqual(delays(backoff, 4), [0, 0, 400, 800]);
    });

    it("keeps the cap after very many attempts", () => {
      const backoff = new Backoff({ ...tunables, random: () => 0.5 });

      delays(backoff, 5_000);

      assert.equal(backoff.next(), 500);
      assert.equal(backoff.ceilingMs, 1_000);
    });

    it("keeps one ceiling with multiplier 1", () => {
      const backoff = new Backoff({
        initialDelayMs: 40,
        maxDelayMs: 1_000,
        multiplier: 1,
        random: () => 0.5,
      });

      assert.deepEqual(delays(backoff, 3), [20, 20, 20]);
    });
  });

  describe("attempt and reset()", () => {
    it("counts delays and starts over on reset", () => {
      const backoff = new Backoff({ ...tunables, random: () => 0.5 });

      delays(backoff, 4);
      assert.equal(backoff.attempt, 4);
      backoff.reset();

      assert.equal(backoff.attempt, 0);
      assert.equal(backoff.next(), 50);
    });
  });

  describe("constructor", () => {
    it("rejects tunables that describe no backoff", () => {
      const bad = [
        { ...tunables, initialDelayMs: 0 },
        { ...tunables, maxDelayMs: 50 },
        { ...tunables, multiplier: 0.5 },
        { ...tunables, initialDelayMs: Number.NaN },
      ];

      for (const options of bad) {
        assert.throws(() => new Backoff(options), RangeError);
      }
    });
  });

  it("always returns a whole delay within [0, cap]", () => {
    const options = fc.record({
      initialDelayMs: fc.integer({ min: 1, max: 10_000 }),
      extraMs: fc.integer({ min: 0, max: 100_000 }),
      multiplier: fc.double({ min: 1, max: 10, noNaN: true }),
      draws: fc.array(fc.double({ min: 0, max: 1, maxExcluded: true }), {
        minLength: 1,
        maxLength: 50,
      }),
    });

    fc.assert(
      fc.property(options, ({ initialDelayMs, extraMs, multiplier, draws }) => {
        const maxDelayMs = initialDelayMs + extraMs;
        let i = 0;
        const random = () => draws[i++ % draws.length] ?? 0;
        const backoff = new Backoff({
          initialDelayMs,
          maxDelayMs,
          multiplier,
          random,
        });
        for (let n = 0; n < draws.length; n++) {
          const cap = Math.min(maxDelayMs, initialDelayMs * multiplier ** n);
          const delay = backoff.next();
          assert.ok(Number.isInteger(delay));
          assert.ok(delay >= 0 && delay <= cap, `${delay} in [0, ${cap}]`);
        }
      }),
    );
  });
});
