import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { GrpcServer } from "../../src/serve/grpc/index.js";
import {
  type MemoryControl,
  serveMemoryControl,
} from "../serve/grpc/memory-control.js";
import { CliProcess } from "../support/cli-process.js";
import { waitFor } from "../support/wait-for.js";

const TOKEN = "ctl-upstream-token-0123456789";

describe("tributary ctl upstream", () => {
  let control: MemoryControl;
  let server: GrpcServer;
  let addr: string;
  const running: CliProcess[] = [];

  function start(args: string[]): CliProcess {
    process.env.TRIBUTARY_TOKEN = TOKEN;
    const cli = new CliProcess(["ctl", "--addr", addr, ...args]);
    delete process.env.TRIBUTARY_TOKEN;
    running.push(cli);
    return cli;
  }

  /** Runs `tributary ctl --addr ... ARGS` to its end. */
  async function ctl(args: string[]) {
    const cli = start(args);
    const code = await cli.exited();
    return { code, stdout: cli.stdout, stderr: cli.stderr };
  }

  before(async () => {
    let port: number;
    ({ control, server, port } = await serveMemoryControl([
      { token: TOKEN, role: "admin" },
    ]));
    addr = `127.0.0.1:${port}`;
    const ninetySecondsAgo = Date.now() - 90_000;
    control.upstream.set("feed", {
      rule: "trades.*",
      limit: 10,
      lingerMs: 5_000,
      subscriptions: [
        {
          topic: "trades.A",
          state: "subscribed",
          subscribers: 12,
          standing: false,
          createdAt: ninetySecondsAgo,
          since: ninetySecondsAgo,
        },
        {
          topic: "trades.B",
          state: "rejected",
          subscribers: 1,
          standing: false,
          createdAt: ninetySecondsAgo,
          since: ninetySecondsAgo,
          reason: "unknown symbol",
        },
      ],
    });
    control.upstream.set("book", { rule: "book.>", lingerMs: 0 });
  });
  after(async () => {
    await Promise.all(running.map((cli) => cli.kill()));
    await server.stop();
  });

  it("lists every upstream subscription as a table", async () => {
    const { code, stdout, stderr } = await ctl(["upstream", "list"]);

    assert.equal(code, 0, stderr);
    const lines = stdout.trimEnd().split("\n");
    assert.match(
      lines[0] ?? "",
      /^SOURCE\s+TOPIC\s+STATE\s+SUBS\s+STANDING\s+AGE\s+REASON$/,
    );
    assert.match(lines[1] ?? "", /^book\s+-$/);
    assert.match(
      lines[2] ?? "",
      /^feed\s+trades\.A\s+subscribed\s+12\s+no\s+1m$/,
    );
    assert.match(
      lines[3] ?? "",
      /^feed\s+trades\.B\s+rejected\s+1\s+no\s+1m\s+unknown symbol$/,
    );
    assert.equal(lines.length, 4);
  });

  it("lists one source as JSON with --json", async () => {
    const { code, stdout } = await ctl(["--json", "upstream", "list", "feed"]);

    const json = JSON.parse(stdout) as {
      sources: { source: string; limit: number; subscriptions: unknown[] }[];
    };
    assert.equal(code, 0);
    assert.deepEqual(
      json.sources.map((s) => [s.source, s.limit, s.subscriptions.length]),
      [["feed", 10, 2]],
    );
  });

  it("adds and removes a standing subscription", async () => {
    const added = await ctl(["upstream", "add", "feed", "trades.C"]);
    const removed = await ctl(["upstream", "rm", "feed", "trades.C"]);

    assert.equal(added.code, 0, added.stderr);
    assert.match(
      added.stdout,
      /^feed\s+trades\.C\s+subscribed\s+0\s+yes\s+\d+s$/m,
    );
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /^feed\s+trades\.C\s+lingering\s+0\s+no\s/m);
    const held = control.listUpstreamSubscriptions("feed")[0]?.subscriptions;
    assert.equal(held?.find((s) => s.topic === "trades.C")?.standing, false);
  });

  it("exits 2 naming the field for a bad topic or an empty source", async () => {
    const bad = await ctl(["upstream", "add", "feed", "trades..C"]);
    const empty = await ctl(["upstream", "add", "", "trades.C"]);

    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: INVALID_ARGUMENT: topic: /);
    assert.equal(empty.code, 2);
    assert.equal(empty.stderr, "error: INVALID_ARGUMENT: source: required\n");
  });

  it("exits 1 with the code for NOT_FOUND and FAILED_PRECONDITION", async () => {
    await control.addSource({
      id: "plain",
      url: "ws://127.0.0.1:1/",
      codec: { format: "json", topic: "t" },
    });

    const ghost = await ctl(["upstream", "list", "ghost"]);
    const plain = await ctl(["upstream", "rm", "plain", "t"]);

    assert.equal(ghost.code, 1);
    assert.equal(ghost.stderr, "error: NOT_FOUND: no source ghost\n");
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /^error: FAILED_PRECONDITION: /);
  });

  it("prints upstream events from `ctl events`", async () => {
    const cli = start(["events"]);
    await waitFor("the watch", () => control.subject.observed, 10_000);

    control.subject.next({
      type: "upstream-subscription",
      source: "feed",
      topic: "trades.Z",
      change: "limit-reached",
      reason: "at maxSubscriptions 10",
      at: 0,
    });
    await waitFor("an event line", () => cli.stdout.includes("\n"));
    const code = await cli.kill("SIGINT");

    assert.equal(
      cli.stdout,
      "1970-01-01T00:00:00.000Z  upstream feed trades.Z limit-reached" +
        " (at maxSubscriptions 10)\n",
    );
    assert.equal(code, 0);
  });
});
