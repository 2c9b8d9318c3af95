import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { WebSocketServer } from "ws";
import { TestClient } from "../support/client.js";
import { type RunningGateway, startGateway } from "../support/gateway.js";
import {
  type MemoryTracing,
  sample,
  startMemoryTracing,
  waitFor,
} from "./helpers.js";

/** An echo backend on a free port. */
async function echoBackend(): Promise<WebSocketServer> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => wss.once("listening", resolve));
  wss.on("connection", (socket) => {
    socket.on("message", (data, binary) => socket.send(data, { binary }));
  });
  return wss;
}

function urlOf(wss: WebSocketServer): string {
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
}

async function scrape(gw: RunningGateway): Promise<string> {
  const res = await fetch(`${gw.httpUrl}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

describe("proxy sessions in traces and metrics", () => {
  let memory: MemoryTracing;
  const backends: WebSocketServer[] = [];
  let gw: RunningGateway;

  before(async () => {
    memory = await startMemoryTracing();
    backends.push(await echoBackend(), await echoBackend());
    gw = await startGateway({
      pools: [
        {
          id: "echo",
          path: "/proxy/echo",
          backends: backends.map((b, i) => ({
            id: `b${i + 1}`,
            url: urlOf(b),
          })),
        },
      ],
    });
  });

  after(async () => {
    await gw.stop();
    for (const wss of backends) {
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
    }
    await memory.tracing.shutdown();
  });

  it("counts sessions, backend health and bytes per direction", async () => {
    const client = await TestClient.connect(
      gw.wsUrl.replace("/ws", "/proxy/echo"),
    );
    const payload = JSON.stringify({ hello: "there" });
    client.send(payload);
    await waitFor("the echo", () => client.frames.length === 1);

    const open = await scrape(gw);
    const pool = { tributary_proxy_pool: "echo" };
    assert.equal(sample(open, "tributary_proxy_sessions", pool), 1);
    const bytes = (direction: string, text: string) =>
      sample(text, "tributary_proxy_io_total", {
        ...pool,
        tributary_proxy_direction: direction,
      });
    assert.equal(bytes("to_backend", open), payload.length);
    assert.equal(bytes("to_client", open), payload.length);
    for (const backend of ["b1", "b2"]) {
      const state = (s: string) =>
        sample(open, "tributary_proxy_backend_state", {
          ...pool,
          tributary_proxy_backend: backend,
          tributary_proxy_backend_health: s,
        });
      assert.equal(state("healthy"), 1, backend);
      assert.equal(state("ejected"), 0, backend);
    }

    await client.close();
    await waitFor(
      "the session to end",
      () => gw.gateway.proxy.listSessions().length === 0,
    );
    const closed = await scrape(gw);
    assert.equal(sample(closed, "tributary_proxy_sessions", pool), 0);
    assert.equal(bytes("to_backend", closed), payload.length);
  });

  it("spans a session with its pool, last backend, moves and close code", async () => {
    memory.exporter.reset();
    const client = await TestClient.connect(
      gw.wsUrl.replace("/ws", "/proxy/echo"),
    );
    client.send({ n: 1 });
    await waitFor("the first echo", () => client.frames.length === 1);
    const [session] = gw.gateway.proxy.listSessions();
    const first = session?.backend ?? "";
    assert.ok(first !== "");

    gw.gateway.proxy.drainBackend("echo", first, { move: true });
    await waitFor(
      "the move",
      () => gw.gateway.proxy.listSessions()[0]?.moves === 1,
    );
    client.socket.close(1000, "bye");
    await waitFor(
      "the proxy.session span",
      () => memory.spans("proxy.session").length === 1,
    );
    gw.gateway.proxy.undrainBackend("echo", first);

    const span = memory.spans("proxy.session")[0];
    const other = first === "b1" ? "b2" : "b1";
    assert.equal(span?.attributes["tributary.proxy.pool"], "echo");
    assert.equal(span?.attributes["tributary.proxy.backend"], other);
    assert.equal(span?.attributes["tributary.proxy.moves"], 1);
    assert.equal(span?.attributes["tributary.client.close_code"], 1000);
    assert.equal(span?.attributes["client.address"], "127.0.0.1");
    const moves = span?.events.filter((e) => e.name === "proxy.move") ?? [];
    assert.deepEqual(
      moves.map((e) => e.attributes?.["tributary.proxy.backend"]),
      [other],
    );
  });
});
