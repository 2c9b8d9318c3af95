import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CodecSpecError,
  compileTopicTemplate,
  type TopicResult,
} from "../../src/codecs/index.js";

function topicOf(template: string, value: unknown): TopicResult {
  return compileTopicTemplate(template)(value);
}

function rejects(template: string, pattern: RegExp): void {
  assert.throws(
    () => compileTopicTemplate(template),
    (err: unknown) =>
      err instanceof CodecSpecError &&
      err.message.startsWith(`topic template "${template}": `) &&
      pattern.test(err.message),
    template,
  );
}

describe("compileTopicTemplate", () => {
  describe("building topics", () => {
    it("substitutes one pointer", () => {
      assert.deepEqual(topicOf("trades.{/symbol}", { symbol: "BTC-USD" }), {
        ok: true,
        topic: "trades.BTC-USD",
      });
    });

    it("substitutes several, nested pointers", () => {
      const value = { venue: "XNAS", instrument: { code: "AAPL" } };
      assert.deepEqual(topicOf("book.{/venue}.{/instrument/code}", value), {
        ok: true,
        topic: "book.XNAS.AAPL",
      });
    });

    it("substitutes inside a token and side by side", () => {
      const value = { a: "x", b: 7 };
      assert.deepEqual(topicOf("t.pre-{/a}{/b}:post", value), {
        ok: true,
        topic: "t.pre-x7:post",
      });
    });

    it("writes numbers as decimal text", () => {
      assert.deepEqual(topicOf("chan.{/id}", { id: 42 }), {
        ok: true,
        topic: "chan.42",
      });
      assert.deepEqual(topicOf("chan.{/id}", { id: -3 }), {
        ok: true,
        topic: "chan.-3",
      });
    });

    it("returns a literal-only template as is", () => {
      assert.deepEqual(topicOf("status.all", { anything: 1 }), {
        ok: true,
        topic: "status.all",
      });
    });
  });

  describe("failing one value", () => {
    it("names a missing pointer", () => {
      assert.deepEqual(topicOf("trades.{/symbol}", { sym: "x" }), {
        ok: false,
        error: "/symbol is missing",
      });
    });

    it("refuses values that are neither strings nor numbers", () => {
      const cases: [unknown, string][] = [
        [null, "null"],
        [true, "true"],
        [{ a: 1 }, "an object"],
        [["a"], "an array"],
      ];
      for (const [symbol, shown] of cases) {
        const result = topicOf("trades.{/symbol}", { symbol });
        assert.deepEqual(result, {
          ok: false,
          error: `/symbol is ${shown}, expected a string or a number`,
        });
      }
    });

    it("refuses a value holding '.', which would add tokens", () => {
      const result = topicOf("trades.{/symbol}", { symbol: "BTC.USD" });
      assert.equal(result.ok, false);
      assert.match(
        (result as { error: string }).error,
        /^\/symbol is "BTC\.USD", and a value may not hold "\."$/,
      );
    });

    it("names the bad token of the built topic", () => {
      const result = topicOf("trades.{/symbol}", { symbol: "BTC USD" });
      assert.equal(result.ok, false);
      const { error } = result as { error: string };
      assert.match(error, /invalid topic "trades\.BTC USD"/);
      assert.match(error, /invalid character " " in "BTC USD"/);
    });

    it("refuses an empty value and wildcards", () => {
      for (const symbol of ["", "*", ">"]) {
        const result = topicOf("trades.{/symbol}", { symbol });
        assert.equal(result.ok, false, JSON.stringify(symbol));
      }
    });

    it("refuses a token grown too long by its value", () => {
      const result = topicOf("t.{/a}", { a: "x".repeat(65) });
      assert.equal(result.ok, false);
      assert.match((result as { error: string }).error, /at most 64/);
    });
  });

  describe("compile-time checks", () => {
    it("rejects unbalanced braces", () => {
      rejects("trades.{/symbol", /unclosed "\{" at offset 7/);
      rejects("trades./symbol}", /unmatched "\}" at offset 14/);
      rejects("trades.{/a{/b}}", /nested "\{" at offset 10/);
    });

    it("rejects an empty {}", () => {
      rejects("trades.{}", /"\{\}" names no field/);
    });

    it("rejects a malformed pointer", () => {
      rejects("trades.{symbol}", /must start with "\/"/);
      rejects("trades.{/a~2}", /"~" must be followed by 0 or 1/);
    });

    it("rejects literal text no topic may contain", () => {
      rejects("trades {/symbol}", /invalid character " " in "trades "/);
      rejects("trades.*", /wildcard "\*" is not allowed/);
      rejects("trades.>.{/a}", /wildcard ">"/);
      rejects("trädes.{/a}", /invalid character "ä"/);
    });

    it("rejects empty tokens and too many tokens", () => {
      rejects("trades..{/a}", /empty token/);
      rejects(".{/a}", /empty token/);
      rejects("{/a}.", /empty token/);
      rejects(`${"t.".repeat(16)}{/a}`, /17 tokens, at most 16/);
    });

    it("rejects a literal token that is already too long", () => {
      rejects(`${"x".repeat(64)}{/a}`, /at most 64/);
    });

    it("rejects an invalid literal-only template", () => {
      rejects("status all", /invalid character " "/);
    });
  });
});
