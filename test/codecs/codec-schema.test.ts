import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { codecSchema } from "../../src/codecs/index.js";
import { configSchema } from "../../src/config/schema.js";

interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

function issuesOf(input: unknown): Issue[] {
  const result = codecSchema.safeParse(input);
  assert.equal(result.success, false, "expected the spec to be refused");
  return result.error?.issues ?? [];
}

function assertIssue(input: unknown, path: PropertyKey[], pattern: RegExp) {
  const issues = issuesOf(input);
  const found = issues.find(
    (issue) =>
      JSON.stringify(issue.path) === JSON.stringify(path) &&
      pattern.test(issue.message),
  );
  assert.ok(found, `no issue at ${path.join(".")}: ${JSON.stringify(issues)}`);
}

const good = { format: "json", topic: "trades.{/symbol}" };

describe("codecSchema", () => {
  it("accepts the demo codecs and fills defaults", () => {
    const result = codecSchema.safeParse({ ...good, time: "/ts" });
    assert.equal(result.success, true);
    assert.deepEqual(result.data, {
      ...good,
      time: "/ts",
      timeUnit: "ms",
      data: "/",
    });
  });

  it("reports a bad topic template at topic", () => {
    assertIssue({ ...good, topic: "trades.{/symbol" }, ["topic"], /unclosed/);
    assertIssue({ ...good, topic: "trades {/s}" }, ["topic"], /" "/);
    assertIssue({ ...good, topic: "trades.{}" }, ["topic"], /names no field/);
  });

  it("reports a bad pointer at its field", () => {
    for (const field of ["id", "seq", "time", "key", "each"]) {
      assertIssue({ ...good, [field]: "noslash" }, [field], /start with "\/"/);
      assertIssue({ ...good, [field]: "/a~2" }, [field], /"~" must be/);
    }
  });

  it("reports a bad data leaf at its path", () => {
    const data = { price: "p", book: { bid: "/b~", ask: "/a" } };
    const issues = issuesOf({ ...good, data });
    assert.deepEqual(
      issues.map((issue) => issue.path),
      [
        ["data", "price"],
        ["data", "book", "bid"],
      ],
    );
  });

  it("reports data that is neither a pointer nor an object", () => {
    assertIssue({ ...good, data: 5 }, ["data"], /JSON Pointer or an object/);
    assertIssue({ ...good, data: { a: [] } }, ["data", "a"], /JSON Pointer/);
    assertIssue({ ...good, data: {} }, ["data"], /at least one field/);
  });

  it("reports a bad match pointer at its key", () => {
    const match = { "/type": "trade", type: "x", "/a~9": 1 };
    const issues = issuesOf({ ...good, match });
    assert.deepEqual(
      issues.map((issue) => issue.path),
      [
        ["match", "type"],
        ["match", "/a~9"],
      ],
    );
  });

  it("reports several problems of one spec at once", () => {
    const issues = issuesOf({ ...good, topic: "a..{/b}", id: "x" });
    assert.deepEqual(
      issues.map((issue) => issue.path),
      [["topic"], ["id"]],
    );
  });

  it("reports an invalid fixed topic of a text codec", () => {
    const text = { format: "text", topic: "chat.*" };
    assertIssue(text, ["topic"], /wildcard "\*"/);
    assert.equal(
      codecSchema.safeParse({ format: "text", topic: "chat.room-1" }).success,
      true,
    );
  });

  it("gives the config loader the full path", () => {
    const source = (id: string, codec: unknown) => ({
      id,
      url: "ws://127.0.0.1:1/feed",
      codec,
    });
    const result = configSchema.safeParse({
      sources: [
        source("a", good),
        source("b", { ...good, topic: "trades.{symbol}" }),
      ],
    });
    assert.equal(result.success, false);
    const paths = result.error?.issues.map((issue) => issue.path);
    assert.deepEqual(paths, [["sources", 1, "codec", "topic"]]);
  });
});
