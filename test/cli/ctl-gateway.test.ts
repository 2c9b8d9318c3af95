import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CliProcess } from "../support/cli-process.js";
import { TestClient } from "../support/client.js";
import {
  AB_CODEC,
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../support/gateway.js";
import { TestUpstream } from "../support/upstream.js";
import { waitFor } from "../support/wait-for.js";

const TOKEN = "ctl-gateway-token-0123456789";

describe("tributary ctl against a live gateway", () => {
  const upstream = new TestUpstream();
  let gw: RunningGateway;
  let client: TestClient;
  let dir: string;
  const running: CliProcess[] = [];

  async function ctl(args: string[]) {
    const cli = new CliProcess([
      "ctl",
      "--addr",
      gw.grpcAddress,
      "--token",
      TOKEN,
      ...args,
    ]);
    running.push(cli);
    const code = await cli.exited();
    return { code, stdout: cli.stdout, stderr: cli.stderr };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tributary-ctl-gw-"));
    await upstream.start();
    gw = await startGateway({
      auth: {
        control: { tokens: [{ token: TOKEN, role: "admin", name: "test" }] },
      },
    });
    client = await TestClient.connect(gw.wsUrl);
    await client.subscribe(["live.>"]);
  });
  after(async () => {
    await Promise.all(running.map((cli) => cli.kill()));
    await client.close();
    await gw.stop();
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("adds a source whose messages reach a connected client", async () => {
    const file = join(dir, "feed.json");
    const source = {
      id: "feed",
      url: upstream.url,
      reconnect: FAST_RECONNECT,
      codec: AB_CODEC,
    };
    writeFileSync(file, JSON.stringify(source));

    const added = await ctl(["sources", "add", file]);
    await waitFor("the source to connect", () => upstream.clients.size === 1);
    upstream.send({ a: "live", b: "ctl", n: 1 });
    await waitFor("the message", () => client.messages().length === 1);
    const listed = await ctl(["sources", "list"]);
    const topics = await ctl(["topics", "live.>"]);

    assert.equal(added.code, 0, added.stderr);
    assert.equal(client.messages()[0]?.source, "feed");
    assert.match(listed.stdout, /^feed\s+up\s+feed\s+1\s+1\s/m);
    assert.match(
      topics.stdout,
      /^live\.ctl\s+1\s+\S+\s+[\d.]+\s+1\s+1\s+0\s+feed$/m,
    );
  });

  it("and tap --grpc receives the added source's messages", async () => {
    const tap = new CliProcess([
      "tap",
      "live.*",
      "--grpc",
      gw.grpcAddress,
      "--token",
      TOKEN,
      "-n",
      "2",
    ]);
    running.push(tap);
    await waitFor(
      "tap to subscribe",
      () => /subscribed/.test(tap.stderr),
      20_000,
    );
    upstream.send({ a: "live", b: "grpc", n: 2 });
    upstream.send({ a: "live", b: "grpc", n: 3 });

    assert.equal(await tap.exited(), 0, tap.stderr);
    const lines = tap.stdout.trim().split("\n");
    assert.equal(lines.length, 2);
    for (const line of lines)
      assert.match(line, /^live\.grpc {2}#\d+ {2}feed {2}\{/);
  });

  it("removes it again", async () => {
    const removed = await ctl(["sources", "rm", "feed"]);
    await waitFor("the disconnect", () => upstream.clients.size === 0);
    const again = await ctl(["sources", "rm", "feed"]);

    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: NOT_FOUND: /);
  });
});
