import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, it } from "node:test";
import type { BackendHealth, PoolInput } from "../../src/proxy/index.js";
import { waitFor } from "../support/wait-for.js";
import {
  EchoBackend,
  openClients,
  ProxyHarness,
  type TestClient,
} from "./helpers.js";

/** An HTTP health endpoint whose status the test sets. */
async function statusServer(): Promise<{ server: Server; status: number[] }> {
  const status = [200];
  const server = createServer((req, res) => {
    res.writeHead(req.url === "/health" ? (status[0] as number) : 404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, status };
}

describe("health", () => {
  let proxy: ProxyHarness | undefined;
  const stoppers: (() => Promise<void>)[] = [];
  let clients: TestClient[] = [];

  afterEach(async () => {
    for (const client of clients) client.close();
    clients = [];
    await proxy?.stop();
    proxy = undefined;
    await Promise.all(stoppers.splice(0).map((stop) => stop()));
  });

  async function start(pool: Partial<PoolInput>): Promise<string> {
    proxy = await new ProxyHarness([
      { id: "pool", path: "/pool", ...pool },
    ]).start();
    return proxy.url("/pool");
  }

  async function echo(id: string, port = 0): Promise<EchoBackend> {
    const backend = await new EchoBackend(id).start(port);
    stoppers.push(() => backend.stop());
    return backend;
  }

  function healthOf(id: string): BackendHealth | undefined {
    const backends = proxy?.gateway.listPools()[0]?.backends ?? [];
    return backends.find((b) => b.id === id)?.health;
  }

  it("a websocket check marks a backend down and up again", async () => {
    const backend = await echo("b1");
    const port = Number(new URL(backend.url).port);
    await start({
      backends: [{ id: "b1", url: backend.url }],
      healthCheck: {
        type: "websocket",
        intervalMs: 50,
        timeoutMs: 50,
        healthyThreshold: 2,
        unhealthyThreshold: 2,
      },
    });

    await backend.stop();
    await waitFor("unhealthy", () => healthOf("b1") === "unhealthy");
    await echo("b1 again", port);
    await waitFor("healthy again", () => healthOf("b1") === "healthy");

    const [b1] = proxy?.gateway.listPools()[0]?.backends ?? [];
    // Refused, or timed out on a loaded machine: either is a failed check.
    assert.match(b1?.lastError ?? "", /^check: (.*ECONNREFUSED|no handshake)/);
  });

  it("an unhealthy backend by http check gets no new sessions", async () => {
    const { server, status } = await statusServer();
    stoppers.push(
      () => new Promise<void>((resolve) => server.close(() => resolve())),
    );
    const { port } = server.address() as AddressInfo;
    const good = await echo("good");
    const url = await start({
      backends: [
        { id: "checked", url: `ws://127.0.0.1:${port}/socket` },
        { id: "good", url: good.url },
      ],
      healthCheck: {
        type: "http",
        path: "/health",
        intervalMs: 200,
        timeoutMs: 200,
        unhealthyThreshold: 1,
      },
    });

    status[0] = 500;
    await waitFor("unhealthy", () => healthOf("checked") === "unhealthy");
    clients = await openClients(url, 6);

    assert.equal(good.sessions.length, 6);
  });

  it("re-admits an ejected backend after the backoff", async () => {
    const backend = await echo("b1");
    const port = Number(new URL(backend.url).port);
    const url = await start({
      backends: [{ id: "b1", url: backend.url }],
      passive: { failures: 1, ejectMs: 300 },
    });
    await backend.stop();

    const first = await openClients(url, 1).catch((err: Error) => err);
    assert.match(String(first), /HTTP 502/);
    assert.equal(healthOf("b1"), "ejected");
    const restarted = await echo("b1 again", port);
    const second = await openClients(url, 1).catch((err: Error) => err);
    assert.match(String(second), /HTTP 503/);

    await waitFor("re-admission", () => healthOf("b1") === "healthy");
    clients = await openClients(url, 1);
    assert.equal(restarted.sessions.length, 1);
  });
});
