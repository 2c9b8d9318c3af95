import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  isValidPattern,
  isValidTopic,
  isWildcardPattern,
  MAX_TOKEN_LENGTH,
  MAX_TOPIC_TOKENS,
  matchesPattern,
  TopicError,
  validatePattern,
  validateTopic,
} from "../../src/topics/index.js";

/** Asserts that `fn` throws a TopicError with these fields. */
function assertFault(
  fn: () => void,
  expected: {
    code: "INVALID_TOPIC" | "INVALID_PATTERN";
    token?: string;
    index?: number;
    /** A pattern, or a string the message must contain. */
    message: RegExp | string;
  },
): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof TopicError, "not a TopicError");
    assert.equal(err.name, "TopicError");
    assert.equal(err.code, expected.code);
    assert.equal(err.token, expected.token);
    assert.equal(err.index, expected.index);
    if (typeof expected.message === "string") {
      assert.ok(err.message.includes(expected.message), err.message);
    } else {
      assert.match(err.message, expected.message);
    }
    return true;
  });
}

const topic = "INVALID_TOPIC";
const pattern = "INVALID_PATTERN";

describe("validateTopic", () => {
  it("accepts every allowed character and the documented example", () => {
    for (const ok of [
      "trades.BTC-USD",
      "a",
      "a_b.c:d.e@f.0-9",
      "AZaz09-_:@",
      Array(MAX_TOPIC_TOKENS).fill("t").join("."),
      "x".repeat(MAX_TOKEN_LENGTH),
    ]) {
      assert.doesNotThrow(() => validateTopic(ok), ok);
      assert.equal(isValidTopic(ok), true, ok);
    }
  });

  it("rejects the empty string", () => {
    assertFault(() => validateTopic(""), {
      code: topic,
      message: /^invalid topic "": it is empty$/,
    });
  });

  it("names the position of an empty token", () => {
    assertFault(() => validateTopic("a.b..c"), {
      code: topic,
      token: "",
      index: 2,
      message: /^invalid topic "a\.b\.\.c": empty token at position 3$/,
    });
    assertFault(() => validateTopic(".a"), {
      code: topic,
      token: "",
      index: 0,
      message: /empty token at position 1$/,
    });
    assertFault(() => validateTopic("a."), {
      code: topic,
      token: "",
      index: 1,
      message: /empty token at position 2$/,
    });
  });

  it("names a token that is too long", () => {
    const long = "y".repeat(MAX_TOKEN_LENGTH + 1);
    assertFault(() => validateTopic(`a.${long}`), {
      code: topic,
      token: long,
      index: 1,
      message: /token "y+" is 65 characters long, at most 64 \(token 2\)$/,
    });
  });

  it("names the first token beyond the limit", () => {
    const tokens = Array.from({ length: MAX_TOPIC_TOKENS + 2 }, (_, i) =>
      String(i),
    );
    assertFault(() => validateTopic(tokens.join(".")), {
      code: topic,
      token: "16",
      index: 16,
      message: /: 18 tokens, at most 16 \(token 17 "16" is the first extra\)$/,
    });
  });

  it("names the token and the character that is not allowed", () => {
    for (const [bad, token, quoted] of [
      ["a.b c", "b c", '" " in "b c"'],
      ["a.é", "é", '"é" in "é"'],
      ["a.x/y", "x/y", '"/" in "x/y"'],
      ["a.x\ny", "x\ny", '"\\n" in "x\\ny"'],
      ["a.😀", "😀", '"😀" in "😀"'],
    ] as const) {
      assertFault(() => validateTopic(bad), {
        code: topic,
        token,
        index: 1,
        message: `: invalid character ${quoted} (token 2); a token is`,
      });
      assert.equal(isValidTopic(bad), false);
    }
  });

  it("rejects wildcards, which only patterns may hold", () => {
    for (const wildcard of ["*", ">"]) {
      assertFault(() => validateTopic(`a.${wildcard}.b`), {
        code: topic,
        token: wildcard,
        index: 1,
        message: `wildcard "${wildcard}" is not allowed in a topic (token 2)`,
      });
    }
  });

  it("quotes long input in messages only in part", () => {
    const input = `${"a.".repeat(60)}!`;
    assert.throws(
      () => validateTopic(input),
      (err: TopicError) => err.message.length < 300 && err.input === input,
    );
  });

  it("rejects non-strings in isValidTopic", () => {
    for (const value of [undefined, null, 1, {}, ["a"]]) {
      assert.equal(isValidTopic(value), false);
    }
  });
});

describe("validatePattern", () => {
  it("accepts topics and wildcards in their places", () => {
    for (const ok of ["trades.*", "book.>", ">", "*", "*.*.>", "a.*.c"]) {
      assert.doesNotThrow(() => validatePattern(ok), ok);
      assert.equal(isValidPattern(ok), true, ok);
    }
  });

  it("rejects a '>' before the last token", () => {
    assertFault(() => validatePattern("trades.>.x"), {
      code: pattern,
      token: ">",
      index: 1,
      message:
        'invalid pattern "trades.>.x": ">" must be the last token (token 2)',
    });
  });

  it("rejects a wildcard inside a token", () => {
    for (const [bad, token] of [
      ["a.b*", "b*"],
      ["a.>b", ">b"],
      ["**", "**"],
    ] as const) {
      assertFault(() => validatePattern(bad), {
        code: pattern,
        token,
        index: bad === "**" ? 0 : 1,
        message: /must be a whole token, not part of/,
      });
    }
  });

  it("applies the topic rules too", () => {
    assertFault(() => validatePattern("a..*"), {
      code: pattern,
      token: "",
      index: 1,
      message: /^invalid pattern "a\.\.\*": empty token at position 2$/,
    });
    assertFault(() => validatePattern("a.b#"), {
      code: pattern,
      token: "b#",
      index: 1,
      message: /invalid character "#"/,
    });
    const tooMany = Array(MAX_TOPIC_TOKENS + 1)
      .fill("*")
      .join(".");
    assert.equal(isValidPattern(tooMany), false);
    assert.equal(isValidPattern(""), false);
  });
});

describe("isWildcardPattern", () => {
  it("tells wildcard patterns from exact ones", () => {
    assert.equal(isWildcardPattern("a.*"), true);
    assert.equal(isWildcardPattern("a.>"), true);
    assert.equal(isWildcardPattern("a.b"), false);
  });
});

describe("matchesPattern", () => {
  const cases: [string, string, boolean][] = [
    ["a.b", "a.b", true],
    ["a.b", "a.c", false],
    ["a.b", "a.b.c", false],
    ["a.*", "a.b", true],
    ["a.*", "a", false],
    ["a.*", "a.b.c", false],
    ["*.b.*", "x.b.y", true],
    ["*.b.*", "x.c.y", false],
    ["a.>", "a.b", true],
    ["a.>", "a.b.c.d", true],
    ["a.>", "a", false],
    ["a.>", "b.c", false],
    [">", "anything", true],
    [">", "any.thing", true],
    ["*", "one", true],
    ["*", "one.two", false],
    ["a.*.>", "a.b", false],
    ["a.*.>", "a.b.c", true],
  ];
  for (const [p, t, expected] of cases) {
    it(`${expected ? "matches" : "does not match"} ${t} with ${p}`, () => {
      assert.equal(matchesPattern(p, t), expected);
    });
  }
});
