import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CliProcess } from "../support/cli-process.js";
import { TestClient } from "../support/client.js";
import { type RunningGateway, startGateway } from "../support/gateway.js";
import { waitFor } from "../support/wait-for.js";

describe("tributary ctl clients subscribe / unsubscribe / subscriptions", () => {
  let gw: RunningGateway;
  let client: TestClient;
  const running: CliProcess[] = [];

  async function ctl(args: string[]) {
    const cli = new CliProcess(["ctl", "--addr", gw.grpcAddress, ...args]);
    running.push(cli);
    const code = await cli.exited();
    return { code, stdout: cli.stdout, stderr: cli.stderr };
  }

  before(async () => {
    gw = await startGateway({});
    client = await TestClient.connect(gw.wsUrl);
    await client.subscribe(["own.x"]);
  });
  after(async () => {
    await Promise.all(running.map((cli) => cli.kill()));
    await client.close();
    await gw.stop();
  });

  it("places, lists and removes a client's patterns", async () => {
    const id = gw.gateway.control.listClients()[0]?.id ?? "";

    const added = await ctl(["clients", "subscribe", id, "ctl.*", "ctl.y"]);
    const listed = await ctl(["subscriptions"]);
    const filtered = await ctl(["--json", "subscriptions", "own.>"]);
    const removed = await ctl(["clients", "unsubscribe", id, "ctl.*"]);
    await waitFor("the unsubscribed frame", () =>
      client.frames.some((f) => f.type === "unsubscribed"),
    );

    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /ctl\.\*,ctl\.y,own\.x/);
    assert.match(listed.stdout, /^PATTERN\s+CLIENT\s+TRANSPORT\s+ORIGIN$/m);
    assert.match(listed.stdout, /^ctl\.\*\s+\S+\s+websocket\s+control$/m);
    assert.match(listed.stdout, /^own\.x\s+\S+\s+websocket\s+client$/m);
    const json = JSON.parse(filtered.stdout) as {
      subscriptions: { pattern: string }[];
    };
    assert.deepEqual(
      json.subscriptions.map((s) => s.pattern),
      ["own.x"],
    );
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /ctl\.y,own\.x/);
  });

  it("exits non-zero on a bad pattern or an unknown client", async () => {
    const bad = await ctl(["clients", "subscribe", "ws-1", "a..b"]);
    const unknown = await ctl(["clients", "subscribe", "nobody", "a.b"]);

    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /patterns\[0\]/);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /NOT_FOUND|nobody/);
  });
});
