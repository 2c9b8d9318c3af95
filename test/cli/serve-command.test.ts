import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CliProcess } from "../support/cli-process.js";
import { TestClient } from "../support/client.js";
import { TestUpstream } from "../support/upstream.js";
import { waitFor } from "../support/wait-for.js";

describe("tributary serve", () => {
  let dir: string;
  const upstream = new TestUpstream();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "tributary-serve-"));
    await upstream.start();
  });

  after(async () => {
    await upstream.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("exits 2 listing every config problem, without a stack trace", async () => {
    const file = join(dir, "bad.yaml");
    await writeFile(
      file,
      [
        "sources:",
        "  - id: a",
        "    url: not-a-url",
        "    codec: { format: json, topic: 'trades.{/symbol' }",
        "groups:",
        "  - { id: g, sources: [nobody] }",
      ].join("\n"),
    );
    const cli = new CliProcess(["serve", "--config", file, "--data-dir", dir]);
    assert.equal(await cli.exited(), 2);
    assert.match(cli.stderr, /2 problems|3 problems/);
    assert.match(cli.stderr, /sources\[0\]\.url: /);
    assert.match(cli.stderr, /sources\[0\]\.codec\.topic: /);
    assert.doesNotMatch(cli.stderr, /\n\s+at /, "no stack trace");
  });

  it("serves a config file until SIGTERM", async () => {
    const file = join(dir, "good.yaml");
    await writeFile(
      file,
      [
        "server: { port: 0, grpcPort: 0 }",
        "sources:",
        `  - id: feed`,
        `    url: ${upstream.url}`,
        "    codec: { format: text, topic: chat.lobby }",
      ].join("\n"),
    );
    const cli = new CliProcess([
      "serve",
      "--config",
      file,
      "--log-format",
      "json",
      "--data-dir",
      dir,
    ]);
    try {
      await waitFor(
        "the listening log line",
        () => /gateway listening/.test(cli.stdout),
        20_000,
      );
      const line = cli.stdout
        .split("\n")
        .find((l) => l.includes("gateway listening"));
      const { port } = JSON.parse(line ?? "{}") as { port: number };
      await waitFor("the source to connect", () => upstream.clients.size === 1);

      const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
      await client.subscribe(["chat.*"]);
      upstream.send("hello there");
      await waitFor("the chat line", () => client.messages().length === 1);
      assert.equal(client.messages()[0]?.data, "hello there");
      assert.equal(await cli.kill("SIGTERM"), 0);
      await waitFor(
        "the client to be closed",
        () => client.closed !== undefined,
      );
      assert.equal(client.closed?.code, 1001);
    } finally {
      await cli.kill("SIGKILL");
    }
  });

  it("says so when the port is taken", async () => {
    const file = join(dir, "taken.yaml");
    await writeFile(file, `server: { port: ${upstream.port}, grpcPort: 0 }\n`);
    const cli = new CliProcess([
      "serve",
      "--config",
      file,
      "--log-format",
      "json",
      "--data-dir",
      dir,
    ]);
    assert.equal(await cli.exited(), 1);
    assert.match(cli.stdout, /address is in use/);
  });
});
