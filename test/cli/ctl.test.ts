import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { GrpcServer } from "../../src/serve/grpc/index.js";
import {
  type MemoryControl,
  serveMemoryControl,
} from "../serve/grpc/memory-control.js";
import { CliProcess } from "../support/cli-process.js";
import { waitFor } from "../support/wait-for.js";

const TOKEN = "ctl-test-token-0123456789";

describe("tributary ctl", () => {
  let control: MemoryControl;
  let server: GrpcServer;
  let addr: string;
  let dir: string;
  const running: CliProcess[] = [];

  /** Runs `tributary ctl --addr ... ARGS` to its end. */
  async function ctl(args: string[], env: Record<string, string> = {}) {
    const saved = { ...process.env };
    Object.assign(process.env, { TRIBUTARY_TOKEN: TOKEN, ...env });
    const cli = new CliProcess(["ctl", "--addr", addr, ...args]);
    process.env = saved;
    running.push(cli);
    const code = await cli.exited();
    return { code, stdout: cli.stdout, stderr: cli.stderr };
  }

  function file(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tributary-ctl-"));
    let port: number;
    ({ control, server, port } = await serveMemoryControl([
      { token: TOKEN, role: "admin" },
    ]));
    addr = `127.0.0.1:${port}`;
  });
  after(async () => {
    await Promise.all(running.map((cli) => cli.kill()));
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("adds a source from a YAML file and shows it", async () => {
    const yaml = file(
      "alpha.yaml",
      [
        "id: alpha",
        "url: ws://127.0.0.1:1/feed",
        "heartbeat: { type: none }",
        "subscribe:",
        "  - { op: subscribe, channel: trades }",
        "codec:",
        "  format: json",
        '  topic: "trades.{/symbol}"',
        "",
      ].join("\n"),
    );

    const added = await ctl(["sources", "add", yaml]);
    const listed = await ctl(["sources", "list"]);

    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^id\s+alpha$/m);
    assert.match(added.stdout, /^state\s+connecting \(added\)/m);
    assert.deepEqual(control.received.at(-1), {
      id: "alpha",
      url: "ws://127.0.0.1:1/feed",
      subscribe: ['{"op":"subscribe","channel":"trades"}'],
      heartbeat: { type: "none" },
      codec: { format: "json", topic: "trades.{/symbol}" },
    });
    const [header, row] = listed.stdout.trimEnd().split("\n");
    assert.match(header ?? "", /^ID\s+STATE\s+GROUP\s+FRAMES\s+MSGS/);
    assert.match(row ?? "", /^alpha\s+connecting\s+alpha\s+5\s+4\s+1\s+0/);
    assert.equal(header?.indexOf("STATE"), row?.indexOf("connecting"));
  });

  it("prints the response as JSON with --json", async () => {
    const { code, stdout } = await ctl(["sources", "get", "alpha", "--json"]);

    const json = JSON.parse(stdout) as {
      source: { id: string };
      health: { state: string };
    };
    assert.equal(code, 0);
    assert.equal(json.source.id, "alpha");
    assert.equal(json.health.state, "SOURCE_STATE_CONNECTING");
  });

  it("exits 2 with the field named for an invalid source", async () => {
    const bad = file(
      "bad.json",
      JSON.stringify({
        id: "beta",
        url: "http://x",
        codec: { format: "json" },
      }),
    );

    const { code, stderr } = await ctl(["sources", "add", bad]);

    assert.equal(code, 2);
    assert.match(stderr, /^error: INVALID_ARGUMENT: source\.url: /);
    assert.match(stderr, /source\.codec\.topic: /);
  });

  it("exits 2 for a file it cannot use, before calling", async () => {
    const unknown = file("odd.yaml", "id: x\nurl: ws://h\ncolour: red\n");
    const before = control.received.length;

    const odd = await ctl(["sources", "add", unknown]);
    const missing = await ctl(["sources", "add", join(dir, "none.yaml")]);

    assert.equal(odd.code, 2);
    assert.match(odd.stderr, /unknown field "colour"/);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*none\.yaml: ENOENT/);
    assert.equal(control.received.length, before);
  });

  it("exits 1 with the code for NOT_FOUND and UNAUTHENTICATED", async () => {
    const ghost = await ctl(["sources", "rm", "ghost"]);
    const anonymous = await ctl(["sources", "list"], { TRIBUTARY_TOKEN: "" });

    assert.equal(ghost.code, 1);
    assert.equal(ghost.stderr, "error: NOT_FOUND: no source ghost\n");
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.stderr, /^error: UNAUTHENTICATED: missing bearer/);
  });

  it("pauses, resumes and removes a source", async () => {
    const paused = await ctl(["sources", "pause", "alpha"]);
    const resumed = await ctl(["sources", "resume", "alpha"]);
    const removed = await ctl(["sources", "rm", "alpha"]);

    assert.match(paused.stdout, /^state\s+paused/m);
    assert.match(resumed.stdout, /^state\s+connecting/m);
    assert.equal(removed.stdout, "removed source alpha\n");
    assert.equal(control.sources.has("alpha"), false);
  });

  it("sets a group from a file and lists it", async () => {
    for (const id of ["a", "b"]) {
      await control.addSource({
        id,
        url: "ws://127.0.0.1:1/",
        codec: { format: "json", topic: "t" },
      });
    }
    const yaml = file(
      "g.yaml",
      "id: g\nmode: active-standby\nsources: [a, { id: b, priority: 2 }]\n",
    );

    const set = await ctl(["groups", "set", yaml]);
    const listed = await ctl(["groups", "list"]);

    assert.equal(set.code, 0, set.stderr);
    assert.match(
      listed.stdout,
      /^g\s+active-standby\s+none\s+a\s+a:connecting b\(2\):connecting$/m,
    );
  });

  it("lists topics matching a pattern", async () => {
    control.topics = [
      {
        topic: "trades.A",
        seq: 12,
        epoch: "e1",
        messages: 12,
        lastMessageAt: 1,
        messageRate: 3,
        subscribers: 1,
        sources: ["a", "b"],
        gaps: 0,
      },
    ];

    const { stdout } = await ctl(["topics", "trades.*"]);

    assert.match(stdout, /^trades\.A\s+12\s+e1\s+3\.0\s+1\s+12\s+0\s+a,b$/m);
  });

  it("kicks a client with a reason", async () => {
    control.clients = [
      {
        id: "c9",
        transport: "grpc",
        remoteAddress: "127.0.0.1:7",
        subscriptions: ["x"],
        queueDepth: 0,
        sent: 1,
        dropped: 0,
        gaps: 0,
        connectedAt: 1,
        protocol: "",
        stalled: true,
        policies: { x: "conflate" },
      },
    ];

    const listed = await ctl(["clients", "list"]);
    const kicked = await ctl([
      "clients",
      "kick",
      "c9",
      "--reason",
      "maintenance",
    ]);

    assert.match(
      listed.stdout,
      /^c9\s+grpc\s+127\.0\.0\.1:7\s+0\s+1\s+0\s+yes\s+conflate\s+x$/m,
    );
    assert.equal(kicked.code, 0, kicked.stderr);
    assert.deepEqual(control.disconnected.at(-1), {
      id: "c9",
      reason: "maintenance",
    });
  });

  it("follows events until interrupted", async () => {
    process.env.TRIBUTARY_TOKEN = TOKEN;
    const cli = new CliProcess(["ctl", "--addr", addr, "events"]);
    delete process.env.TRIBUTARY_TOKEN;
    running.push(cli);
    await waitFor("the watch", () => control.subject.observed, 10_000);

    control.subject.next({
      type: "source-health",
      source: "a",
      from: "up",
      to: { state: "down", reason: "closed 1006", since: 0 },
      at: 0,
    });
    await waitFor("an event line", () => cli.stdout.includes("\n"));
    const code = await cli.kill("SIGINT");

    assert.equal(
      cli.stdout,
      "1970-01-01T00:00:00.000Z  source a up -> down (closed 1006)\n",
    );
    assert.equal(code, 0);
  });
});
