import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { CliProcess } from "../../support/cli-process.js";
import {
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../../support/gateway.js";
import { TestUpstream } from "../../support/upstream.js";
import { waitFor } from "../../support/wait-for.js";

const TOKEN = "tap-read-token-0123456789";

describe("tributary tap --grpc", () => {
  const upstream = new TestUpstream();
  let gw: RunningGateway;
  const processes: CliProcess[] = [];

  before(async () => {
    await upstream.start();
    gw = await startGateway({
      sources: [
        {
          id: "feed",
          url: upstream.url,
          reconnect: FAST_RECONNECT,
          codec: { format: "json", topic: "{/a}.{/b}", data: "/d" },
        },
      ],
      auth: { control: { tokens: [{ token: TOKEN, role: "read" }] } },
    });
    await waitFor("the source to connect", () => upstream.clients.size === 1);
  });
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((p) => p.kill()));
  });
  after(async () => {
    await gw.stop();
    await upstream.stop();
  });

  function run(args: string[], env: Record<string, string> = {}): CliProcess {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    const child = new CliProcess(["tap", ...args]);
    process.env = saved;
    processes.push(child);
    return child;
  }

  it("prints the same lines as the WebSocket tap", async () => {
    const grpc = run(["--grpc", gw.grpcAddress, "--token", TOKEN, "t.*"]);
    const ws = run(["--url", gw.wsUrl, "t.*"]);
    // Each tap prints "subscribed" once its patterns are in the index.
    await waitFor(
      "both taps to subscribe",
      () => [grpc, ws].every((p) => /subscribed t\.\*/.test(p.stderr)),
      20_000,
    );
    for (let n = 1; n <= 3; n++) upstream.send({ a: "t", b: "x", d: { n } });
    upstream.send({ a: "u", b: "x", d: { n: 0 } });
    await waitFor("both taps to print 3 lines", () =>
      [grpc, ws].every((p) => p.stdout.trim().split("\n").length === 3),
    );

    const lines = grpc.stdout.trim().split("\n");
    assert.deepEqual(lines, ws.stdout.trim().split("\n"));
    assert.deepEqual(lines, [
      't.x  #1  feed  {"n":1}',
      't.x  #2  feed  {"n":2}',
      't.x  #3  feed  {"n":3}',
    ]);
    assert.match(grpc.stderr, /^subscribed t\.\*$/m);
  });

  it("exits 0 after --count messages, token from TRIBUTARY_TOKEN", async () => {
    const tap = run(["--grpc", gw.grpcAddress, "-n", "3", "c.*", "--json"], {
      TRIBUTARY_TOKEN: TOKEN,
    });
    await waitFor(
      "the tap to subscribe",
      () => /"type":"subscribed"/.test(tap.stdout),
      20_000,
    );
    for (let n = 1; n <= 5; n++) upstream.send({ a: "c", b: "y", d: { n } });

    assert.equal(await tap.exited(), 0, tap.stderr);
    const frames = tap.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(frames[0], {
      type: "subscribed",
      id: "tap",
      topics: ["c.*"],
    });
    assert.deepEqual(
      frames.slice(1).map((f) => [f.type, f.topic, f.seq, f.data]),
      [1, 2, 3].map((n) => ["message", "c.y", n, { n }]),
    );
    assert.equal(typeof frames[1]?.epoch, "string");
    await waitFor("the session to end", () => {
      return gw.gateway.grpcStreams.sessions.size === 0;
    });
  });

  it("exits 2 with the gateway's reason for a bad pattern", async () => {
    const tap = run(["--grpc", gw.grpcAddress, "--token", TOKEN, "a.>.b"]);

    assert.equal(await tap.exited(), 2);
    assert.match(
      tap.stderr,
      /error INVALID_ARGUMENT: patterns\[0\]: invalid pattern "a\.>\.b"/,
    );
    assert.doesNotMatch(tap.stderr, /subscribed/);
    assert.equal(tap.stdout, "");
  });

  it("exits 2 with UNAUTHENTICATED without a token", async () => {
    const tap = run(["--grpc", gw.grpcAddress, "a.b"], { TRIBUTARY_TOKEN: "" });

    assert.equal(await tap.exited(), 2);
    assert.match(tap.stderr, /error UNAUTHENTICATED: missing bearer token/);
  });

  it("exits 1 naming the address when nothing listens", async () => {
    const tap = run(["--grpc", "127.0.0.1:1", "a.b"]);

    assert.equal(await tap.exited(), 1);
    assert.match(tap.stderr, /cannot connect to 127\.0\.0\.1:1: /);
  });
});
