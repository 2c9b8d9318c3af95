import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { CliProcess } from "../support/cli-process.js";
import { waitFor } from "../support/wait-for.js";

const MESSAGE_LINE =
  /^trades\.[A-Z]+-USD {2}#\d+ {2}(alpha|beta) {2}\{.*"price":/;

describe("tributary demo, watched with tributary tap", () => {
  const processes: CliProcess[] = [];

  /** Starts a CLI process that teardown kills if the test did not. */
  function run(args: string[]): CliProcess {
    const cli = new CliProcess(args);
    processes.push(cli);
    return cli;
  }

  /** Starts `tributary demo` on a free port; resolves with its tap URL. */
  async function startDemo(): Promise<{ demo: CliProcess; url: string }> {
    const demo = run(["demo", "--port", "0", "--log-format", "json"]);
    await waitFor(
      "the tap command",
      () => /npx tributary tap .*--url \S+/.test(demo.stderr),
      20_000,
    );
    const url = /--url (\S+)/.exec(demo.stderr)?.[1] ?? "";
    return { demo, url };
  }

  after(async () => {
    for (const cli of processes) await cli.kill("SIGKILL");
  });

  it("prints the tap command, and that command prints merged trades", async () => {
    const { demo, url } = await startDemo();
    assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    assert.match(demo.stderr, /feed alpha\s+ws:\/\//);
    assert.match(demo.stderr, /feed beta\s+ws:\/\//);

    const tap = run(["tap", "trades.>", "--url", url, "--count", "20"]);
    assert.equal(await tap.exited(), 0, tap.stderr);

    const lines = tap.stdout.trim().split("\n");
    assert.equal(lines.length, 20);
    for (const line of lines) assert.match(line, MESSAGE_LINE);
    assert.match(tap.stderr, /subscribed trades\.>/);
    assert.equal(await demo.kill("SIGINT"), 0);
  });

  it("tap --json prints raw frames", async () => {
    const { demo, url } = await startDemo();

    const tap = run([
      "tap",
      "trades.BTC-USD",
      "--url",
      url,
      "--json",
      "-n",
      "3",
    ]);
    assert.equal(await tap.exited(), 0, tap.stderr);

    const frames = tap.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const messages = frames.filter((f) => f.type === "message");
    assert.equal(messages.length, 3);
    for (const m of messages) assert.equal(m.topic, "trades.BTC-USD");
    await demo.kill("SIGINT");
  });

  it("tap exits 2 with the gateway's reason for a bad pattern", async () => {
    const { demo, url } = await startDemo();

    const tap = run(["tap", "trades.>.x", "--url", url]);
    assert.equal(await tap.exited(), 2);

    assert.match(tap.stderr, /error INVALID_PATTERN: /);
    await demo.kill("SIGINT");
  });

  it("tap exits 1 naming the URL when nothing listens", async () => {
    const tap = run(["tap", "x", "--url", "ws://127.0.0.1:1/ws"]);
    assert.equal(await tap.exited(), 1);
    assert.match(
      tap.stderr,
      /cannot connect to ws:\/\/127\.0\.0\.1:1\/ws: .*ECONNREFUSED/,
    );
  });
});
