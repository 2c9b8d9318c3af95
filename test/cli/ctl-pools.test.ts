import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EchoBackend } from "../proxy/helpers.js";
import { CliProcess } from "../support/cli-process.js";
import { type RunningGateway, startGateway } from "../support/gateway.js";

describe("tributary ctl pools and backends against a live gateway", () => {
  const backend = new EchoBackend("b1");
  const spare = new EchoBackend("b2");
  let gw: RunningGateway;
  let dir: string;

  async function ctl(args: string[]) {
    const cli = new CliProcess(["ctl", "--addr", gw.grpcAddress, ...args]);
    const code = await cli.exited();
    return { code, stdout: cli.stdout, stderr: cli.stderr };
  }

  function file(name: string, doc: unknown): string {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(doc));
    return path;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tributary-ctl-pools-"));
    await backend.start();
    await spare.start();
    gw = await startGateway({});
  });
  after(async () => {
    await gw.stop();
    await backend.stop();
    await spare.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("adds a pool from a file and lists it", async () => {
    const pool = file("pool.json", {
      id: "chat",
      path: "/proxy/chat",
      balancer: { type: "least-connections" },
      backends: [{ id: "b1", url: backend.url }],
    });

    const added = await ctl(["pools", "add", pool]);
    const listed = await ctl(["pools", "list"]);

    assert.equal(added.code, 0, added.stderr);
    assert.match(
      listed.stdout,
      /^chat\s+\/proxy\/chat\s+least-connections\s+0\s+b1\s+healthy\s+0\s/m,
    );
  });

  it("adds, drains and removes a backend", async () => {
    const extra = file("b2.yaml", { id: "b2", url: spare.url, weight: 2 });

    const added = await ctl(["backends", "add", "chat", extra]);
    const drained = await ctl(["backends", "drain", "chat", "b1", "--move"]);
    const removed = await ctl(["backends", "rm", "chat", "b1"]);
    const listed = await ctl(["--json", "pools", "list"]);

    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^chat\s.*\sb2\s+healthy\s/m);
    assert.match(drained.stdout, /^chat\s.*\sb1\s+healthy,draining\s/m);
    assert.equal(removed.stdout, "removed backend b1 of pool chat\n");
    const pools = JSON.parse(listed.stdout).pools;
    assert.deepEqual(
      pools[0].backends.map((b: { backend: { id: string } }) => b.backend.id),
      ["b2"],
    );
  });

  it("exits 2 naming the field of a bad pool, 1 for an unknown one", async () => {
    const bad = file("bad.json", { id: "x", path: "/healthz" });

    const invalid = await ctl(["pools", "add", bad]);
    const unknown = await ctl(["pools", "rm", "nope"]);

    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /pool\.path: a pool path may not/);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no pool 'nope'/);
  });
});
