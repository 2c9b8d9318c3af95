import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  MAX_TOKEN_LENGTH,
  MAX_TOPIC_TOKENS,
  matchesPattern,
  SubscriptionIndex,
  TopicError,
  validatePattern,
  validateTopic,
} from "../../src/topics/index.js";
import {
  anyToken,
  anyTopicTokens,
  badChar,
  smallPattern,
  smallTopic,
  subscriber,
} from "./arbitraries.js";

type Pair = readonly [pattern: string, subscriber: string];

/** What the index must answer: a scan of every pair with matchesPattern. */
function bruteForce(pairs: Iterable<Pair>, topic: string): string[] {
  const found = new Set<string>();
  for (const [p, s] of pairs) if (matchesPattern(p, topic)) found.add(s);
  return [...found].sort();
}

/** match() as a sorted array, failing on any duplicate. */
function indexed(index: SubscriptionIndex<string>, topic: string) {
  const result = index.match(topic);
  assert.equal(new Set(result).size, result.length, "duplicate subscriber");
  return [...result].sort();
}

/** An independent oracle: the pattern compiled to a regular expression. */
function patternRegExp(pattern: string): RegExp {
  const parts = pattern.split(".").map((token) => {
    if (token === "*") return "[^.]+";
    if (token === ">") return "[^.]+(?:\\.[^.]+)*";
    return token.replace(/[-:@]/g, "\\$&");
  });
  return new RegExp(`^${parts.join("\\.")}$`);
}

/** The TopicError `fn` throws; fails when it throws nothing else. */
function caught(fn: () => void): TopicError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TopicError);
    return err;
  }
  assert.fail("expected a TopicError");
}

const pair = fc.tuple(smallPattern, subscriber);

describe("SubscriptionIndex properties", () => {
  it("matches what a scan of every pair matches", () => {
    fc.assert(
      fc.property(
        fc.array(pair, { maxLength: 40 }),
        fc.array(smallTopic, { minLength: 1, maxLength: 20 }),
        (pairs, topics) => {
          const index = new SubscriptionIndex<string>();
          for (const [p, s] of pairs) index.add(p, s);

          for (const topic of topics) {
            assert.deepEqual(indexed(index, topic), bruteForce(pairs, topic));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("stays right through random adds, removals and cached matches", () => {
    const op = fc.oneof(
      pair.map((p) => ({ kind: "add", pair: p }) as const),
      pair.map((p) => ({ kind: "remove", pair: p }) as const),
      smallTopic.map((topic) => ({ kind: "match", topic }) as const),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const index = new SubscriptionIndex<string>({ maxCachedTopics: 8 });
        const model = new Map<string, Pair>();

        for (const step of ops) {
          if (step.kind === "match") {
            const expected = bruteForce(model.values(), step.topic);
            assert.deepEqual(indexed(index, step.topic), expected);
            continue;
          }
          const [p, s] = step.pair;
          const key = `${p} ${s}`;
          const changed =
            step.kind === "add" ? index.add(p, s) : index.remove(p, s);
          assert.equal(
            changed,
            step.kind === "add" ? !model.has(key) : model.has(key),
          );
          if (step.kind === "add") model.set(key, step.pair);
          else model.delete(key);
          assert.equal(index.size, model.size);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("prunes back to an empty trie when every pair is removed", () => {
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 40 }), (pairs) => {
        const index = new SubscriptionIndex<string>();
        for (const [p, s] of pairs) index.add(p, s);

        for (const [p, s] of pairs) index.remove(p, s);

        const { pairs: left, trieNodes, wildcardPatterns } = index.stats();
        assert.deepEqual([left, trieNodes, wildcardPatterns], [0, 0, 0]);
      }),
    );
  });
});

describe("matchesPattern properties", () => {
  it("agrees with the pattern compiled to a regular expression", () => {
    fc.assert(
      fc.property(smallPattern, smallTopic, (p, topic) => {
        assert.equal(matchesPattern(p, topic), patternRegExp(p).test(topic));
      }),
      { numRuns: 2_000 },
    );
  });

  it("accepts every generated pattern", () => {
    fc.assert(
      fc.property(smallPattern, (p) => {
        validatePattern(p);
      }),
    );
  });
});

describe("validateTopic properties", () => {
  it("accepts every topic built by the rules", () => {
    fc.assert(
      fc.property(anyTopicTokens, (tokens) => {
        validateTopic(tokens.join("."));
      }),
      { numRuns: 500 },
    );
  });

  it("rejects an invalid character and names its token", () => {
    fc.assert(
      fc.property(
        anyTopicTokens,
        fc.nat(),
        fc.nat(),
        badChar,
        (tokens, at, offset, char) => {
          const index = at % tokens.length;
          const token = tokens[index] as string;
          const cut = offset % (token.length + 1);
          const bad = token.slice(0, cut) + char + token.slice(cut);
          // Too long a token would be reported for its length instead.
          fc.pre(bad.length <= MAX_TOKEN_LENGTH);
          const input = tokens.with(index, bad).join(".");

          const err = caught(() => validateTopic(input));

          assert.equal(err.code, "INVALID_TOPIC");
          assert.equal(err.index, index);
          assert.equal(err.token, bad);
          assert.ok(err.message.includes(`(token ${index + 1})`));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("rejects an empty token and gives its position", () => {
    fc.assert(
      fc.property(anyTopicTokens, fc.nat(), (tokens, at) => {
        fc.pre(tokens.length < MAX_TOPIC_TOKENS);
        const index = at % (tokens.length + 1);
        const input = tokens.toSpliced(index, 0, "").join(".");

        const err = caught(() => validateTopic(input));

        assert.equal(err.index, index);
        assert.equal(err.token, "");
        assert.ok(err.message.endsWith(`empty token at position ${index + 1}`));
      }),
    );
  });

  it("rejects a token that is too long", () => {
    fc.assert(
      fc.property(anyTopicTokens, anyToken, (tokens, extra) => {
        const index = tokens.length - 1;
        const long = (tokens[index] as string).padEnd(
          MAX_TOKEN_LENGTH + 1,
          "z",
        );
        const input = tokens.with(index, long + extra).join(".");

        const err = caught(() => validateTopic(input));

        assert.equal(err.index, index);
        assert.equal(err.token, long + extra);
      }),
    );
  });

  it("rejects more than 16 tokens", () => {
    fc.assert(
      fc.property(
        fc.array(anyToken, {
          minLength: MAX_TOPIC_TOKENS + 1,
          maxLength: MAX_TOPIC_TOKENS * 2,
        }),
        (tokens) => {
          const err = caught(() => validateTopic(tokens.join(".")));

          assert.equal(err.index, MAX_TOPIC_TOKENS);
          assert.equal(err.token, tokens[MAX_TOPIC_TOKENS]);
          assert.ok(err.message.includes(`${tokens.length} tokens`));
        },
      ),
    );
  });
});
