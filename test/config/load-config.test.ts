import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  ConfigError,
  formatPath,
  loadConfigFile,
} from "../../src/config/index.js";

describe("loadConfigFile", () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "tributary-config-"));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(name: string, text: string): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, text);
    return file;
  }

  async function problemsOf(file: string): Promise<Map<string, string>> {
    const err = await loadConfigFile(file).then(
      () => assert.fail("expected a ConfigError"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.file, file);
    return new Map(err.problems.map((p) => [p.path, p.message]));
  }

  it("reads a YAML file and fills in the defaults", async () => {
    const file = await write(
      "good.yaml",
      [
        "sources:",
        "  - id: vendor-a",
        "    url: ws://127.0.0.1:9001/feed",
        "    codec:",
        "      format: json",
        '      topic: "trades.{/symbol}"',
        "      id: /tradeId",
      ].join("\n"),
    );
    const config = await loadConfigFile(file);
    assert.equal(config.server.port, 8080);
    assert.equal(config.server.host, "127.0.0.1");
    assert.equal(config.sources[0]?.id, "vendor-a");
    assert.deepEqual(config.sources[0]?.subscribe, []);
    assert.equal(config.limits.maxSubscriptionsPerSession, 1000);
  });

  it("reads the same config as JSON", async () => {
    const file = await write(
      "good.json",
      JSON.stringify({ server: { port: 9999 }, sources: [] }),
    );
    const config = await loadConfigFile(file);
    assert.equal(config.server.port, 9999);
  });

  it("lists every problem of a bad file by path", async () => {
    const file = await write(
      "bad.yaml",
      [
        "server:",
        "  port: 70000",
        "sources:",
        "  - id: a",
        "    url: ws://127.0.0.1:1/x",
        "    codec: { format: json, topic: 'trades.{/symbol}' }",
        "  - id: b",
        "    url: http://127.0.0.1:1/x",
        "    codec: { format: json }",
        "  - id: c",
        "    url: ws://127.0.0.1:1/x",
        "    heartbeat: { type: carrier-pigeon }",
        "    codec: { format: xml, topic: t }",
        "groups:",
        "  - id: g",
        "    sources: [a]",
        "    dedupe: { by: magic }",
        "limits:",
        "  maxClientFrameBytes: -1",
        "surprise: true",
      ].join("\n"),
    );
    const problems = await problemsOf(file);
    const paths = [...problems.keys()];
    for (const expected of [
      "server.port",
      "sources[1].url",
      "sources[1].codec.topic",
      "sources[2].heartbeat.type",
      "sources[2].codec.format",
      "groups[0].dedupe.by",
      "limits.maxClientFrameBytes",
    ]) {
      assert.ok(paths.includes(expected), `${expected} in ${paths.join(", ")}`);
    }
    assert.ok(
      [...problems.values()].some((m) => m.includes("surprise")),
      "an unknown top-level key is named",
    );
  });

  it("checks ids and group membership after the schema", async () => {
    const file = await write(
      "refs.yaml",
      [
        "sources:",
        "  - { id: a, url: 'ws://127.0.0.1:1', codec: { format: text, topic: t } }",
        "  - { id: a, url: 'ws://127.0.0.1:2', codec: { format: text, topic: t } }",
        "groups:",
        "  - { id: g1, sources: [a, ghost] }",
        "  - { id: g2, sources: [a] }",
      ].join("\n"),
    );
    const problems = await problemsOf(file);
    assert.match(
      problems.get("sources[1].id") ?? "",
      /duplicate source id "a"/,
    );
    assert.match(
      problems.get("groups[0].sources[1]") ?? "",
      /unknown source "ghost"/,
    );
    assert.match(
      problems.get("groups[1].sources[0]") ?? "",
      /already a member of group "g1"/,
    );
  });

  it("reports a YAML syntax error with its line", async () => {
    const file = await write("syntax.yaml", "sources:\n  - id: [unclosed\n");
    const problems = await problemsOf(file);
    assert.match(problems.get("(syntax)") ?? "", /line \d+/);
  });

  it("reports a missing file", async () => {
    const problems = await problemsOf(join(dir, "absent.yaml"));
    assert.match(problems.get("(file)") ?? "", /ENOENT/);
  });
});

describe("formatPath", () => {
  it("writes indices in brackets and odd keys quoted", () => {
    assert.equal(
      formatPath(["sources", 1, "codec", "topic"]),
      "sources[1].codec.topic",
    );
    assert.equal(
      formatPath(["codec", "match", "/type"]),
      'codec.match["/type"]',
    );
    assert.equal(formatPath([]), "(root)");
  });
});
