import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { ControlError, type GatewayEvent } from "../../src/gateway/index.js";
import { StateFileError } from "../../src/state/index.js";
import { TestClient } from "../support/client.js";
import {
  AB_CODEC,
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "../support/gateway.js";
import { TestUpstream } from "../support/upstream.js";
import { waitFor } from "../support/wait-for.js";

function sourceAt(id: string, upstream: TestUpstream) {
  return { id, url: upstream.url, reconnect: FAST_RECONNECT, codec: AB_CODEC };
}

async function rejection(promise: Promise<unknown> | (() => unknown)) {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (err) {
    assert.ok(err instanceof ControlError, String(err));
    return err;
  }
  return assert.fail("expected a ControlError");
}

describe("the control layer of a running gateway", () => {
  const one = new TestUpstream();
  const two = new TestUpstream();
  let dataDir: string;
  let gw: RunningGateway | undefined;

  before(async () => {
    await one.start();
    await two.start();
    dataDir = await mkdtemp(join(tmpdir(), "tributary-state-"));
  });

  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
  });

  after(async () => {
    await one.stop();
    await two.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("adds a source that flows to an already connected client", async () => {
    gw = await startGateway({});
    const client = await TestClient.connect(gw.wsUrl);
    await client.subscribe(["live.>"]);

    const view = await gw.gateway.control.addSource(sourceAt("late", one));
    assert.equal(view.origin, "control");
    await waitFor("the new source to connect", () => one.clients.size === 1);
    one.send({ a: "live", b: "x" });

    await waitFor("the message", () => client.messages().length === 1);
    assert.equal(client.messages()[0]?.source, "late");
    await client.close();
  });

  it("refuses a bad source naming every field, and a duplicate id", async () => {
    gw = await startGateway({ sources: [sourceAt("a", one)] });
    const control = gw.gateway.control;

    const bad = await rejection(
      control.addSource({
        id: "b",
        url: "http://nope",
        codec: { format: "json", topic: "x.{/y" },
      }),
    );
    assert.equal(bad.code, "INVALID_ARGUMENT");
    const fields = bad.problems.map((p) => p.field);
    assert.deepEqual(fields.sort(), ["codec.topic", "url"]);

    const duplicate = await rejection(control.addSource(sourceAt("a", two)));
    assert.equal(duplicate.code, "ALREADY_EXISTS");
    assert.deepEqual(
      control.listSources().map((s) => s.config.id),
      ["a"],
      "nothing half-applied",
    );
  });

  it("removes a source: its upstream is dropped, the others flow on", async () => {
    gw = await startGateway({
      sources: [sourceAt("a", one), sourceAt("b", two)],
    });
    await waitFor(
      "both upstreams",
      () => one.clients.size === 1 && two.clients.size === 1,
    );
    const client = await TestClient.connect(gw.wsUrl);
    await client.subscribe(["t.*"]);

    await gw.gateway.control.removeSource("a");
    await waitFor(
      "upstream one to lose its client",
      () => one.clients.size === 0,
    );
    two.send({ a: "t", b: "2" });

    await waitFor("b's message", () => client.messages().length === 1);
    assert.equal(client.messages()[0]?.source, "b");
    const missing = await rejection(gw.gateway.control.removeSource("a"));
    assert.equal(missing.code, "NOT_FOUND");
    await client.close();
  });

  it("pauses and resumes a source", async () => {
    gw = await startGateway({ sources: [sourceAt("a", one)] });
    await waitFor("the upstream", () => one.clients.size === 1);

    const paused = await gw.gateway.control.pauseSource("a");
    assert.equal(paused.health.state, "paused");
    await waitFor("the upstream to be dropped", () => one.clients.size === 0);

    await gw.gateway.control.resumeSource("a");
    await waitFor("the reconnect", () => one.clients.size === 1);
    await waitFor(
      "health up",
      () => gw?.gateway.control.getSource("a").health.state === "up",
    );
  });

  it("checks group members before changing anything", async () => {
    gw = await startGateway({
      sources: [sourceAt("a", one), sourceAt("b", two)],
      groups: [{ id: "g", sources: ["a"] }],
    });
    const control = gw.gateway.control;

    const unknown = await rejection(
      control.setGroup({ id: "h", sources: ["b", "ghost"] }),
    );
    assert.equal(unknown.code, "INVALID_ARGUMENT");
    assert.equal(unknown.problems[0]?.field, "sources[1]");

    const taken = await rejection(
      control.setGroup({ id: "h", sources: ["a"] }),
    );
    assert.equal(taken.code, "FAILED_PRECONDITION");

    const last = await rejection(control.removeSource("a"));
    assert.equal(last.code, "FAILED_PRECONDITION");
    assert.deepEqual(
      control.listGroups().map((g) => g.config.id),
      ["g"],
    );

    const group = await control.setGroup({ id: "g", sources: ["a", "b"] });
    assert.deepEqual(
      group.members.map((m) => m.id),
      ["a", "b"],
    );
  });

  it("reports health changes as events", async () => {
    const upstream = new TestUpstream();
    await upstream.start();
    const port = upstream.port;
    gw = await startGateway({ sources: [sourceAt("a", upstream)] });
    const events: GatewayEvent[] = [];
    gw.gateway.control.events.subscribe((e) => events.push(e));
    await waitFor("the upstream", () => upstream.clients.size === 1);

    await upstream.stop();
    await waitFor("a down event", () =>
      events.some((e) => e.type === "source-health" && e.to.state === "down"),
    );
    const again = await new TestUpstream().start(port);
    await waitFor("an up event", () =>
      events.some((e) => e.type === "source-health" && e.to.state === "up"),
    );
    await again.stop();
  });

  it("lists clients, reports them coming and going, and kicks one", async () => {
    gw = await startGateway({});
    const events: GatewayEvent[] = [];
    gw.gateway.control.events.subscribe((e) => events.push(e));
    const client = await TestClient.connect(gw.wsUrl);
    await client.subscribe(["b.*", "a.>"]);

    const [view] = gw.gateway.control.listClients();
    assert.equal(view?.transport, "websocket");
    assert.deepEqual(view?.subscriptions, ["a.>", "b.*"]);
    assert.equal(view?.protocol, "tributary.v1.json");
    assert.ok(
      events.some((e) => e.type === "client" && e.connected),
      "a connect event",
    );

    gw.gateway.control.disconnectClient(view?.id ?? "", "maintenance");
    await waitFor("the kick", () => client.closed !== undefined);
    assert.deepEqual(client.closed, { code: 1008, reason: "maintenance" });
    await waitFor("a disconnect event", () =>
      events.some((e) => e.type === "client" && !e.connected),
    );
    const missing = await rejection(() =>
      gw?.gateway.control.disconnectClient("ws-999", "x"),
    );
    assert.equal(missing.code, "NOT_FOUND");
  });

  it("keeps control-plane changes across a restart", async () => {
    const config = {
      sources: [sourceAt("from-file", one)],
    };
    gw = await startGateway(config, { dataDir });
    await gw.gateway.control.addSource(sourceAt("added", two));
    await gw.gateway.control.pauseSource("from-file");
    await gw.gateway.control.setGroup({
      id: "pair",
      sources: ["from-file", "added"],
      dedupe: { by: "id" },
    });
    await gw.stop();

    gw = await startGateway(config, { dataDir });
    const sources = gw.gateway.control.listSources();
    assert.deepEqual(
      sources.map((s) => [s.config.id, s.origin, s.health.state === "paused"]),
      [
        ["added", "control", false],
        ["from-file", "config", true],
      ],
    );
    const [pair] = gw.gateway.control.listGroups();
    assert.equal(pair?.config.dedupe.by, "id");
    await waitFor(
      "the added source to reconnect",
      () => two.clients.size === 1,
    );
  });

  it("stops on a corrupt state file and keeps a copy of it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tributary-corrupt-"));
    await writeFile(join(dir, "state.json"), "{ not json");

    const failure = await startGateway({}, { dataDir: dir }).then(
      () => assert.fail("expected startup to fail"),
      (err: unknown) => err,
    );

    assert.ok(failure instanceof StateFileError);
    assert.match(failure.message, /state\.json is unusable: not JSON/);
    const files = await readdir(dir);
    assert.ok(
      files.some((f) => f.startsWith("state.json.corrupt-")),
      files.join(),
    );
    await rm(dir, { recursive: true, force: true });
  });
});
