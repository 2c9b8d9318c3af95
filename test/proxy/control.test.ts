import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { ProxyError } from "../../src/proxy/index.js";
import { waitFor } from "../support/wait-for.js";
import { EchoBackend, ProxyHarness, TestClient } from "./helpers.js";

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProxyError, `not a ProxyError: ${err}`);
    return `${err.code}: ${err.message}`;
  }
  return "no error";
}

describe("ProxyGateway control", () => {
  let proxy: ProxyHarness;
  let backend: EchoBackend;

  afterEach(async () => {
    await proxy.stop();
    await backend.stop();
  });

  async function start() {
    backend = await new EchoBackend("b1").start();
    proxy = await new ProxyHarness([]).start();
    return proxy.gateway;
  }

  it("serves a pool added at runtime and closes it on removal", async () => {
    const gateway = await start();

    const view = gateway.addPool({
      id: "live",
      path: "/live",
      backends: [{ id: "b1", url: backend.url }],
    });
    const client = await new TestClient(proxy.url("/live")).opened();
    gateway.removePool("live");

    assert.equal(view.backends[0]?.health, "healthy");
    await waitFor("the client close", () => client.closed !== undefined);
    assert.deepEqual(client.closed, { code: 1001, reason: "pool removed" });
    assert.deepEqual(gateway.listPools(), []);
  });

  it("refuses bad and clashing pools, naming the field", async () => {
    const gateway = await start();
    gateway.addPool({ id: "a", path: "/a" });

    assert.match(
      code(() => gateway.addPool({ id: "b", path: "/metrics" })),
      /^INVALID_ARGUMENT: path: /,
    );
    assert.match(
      code(() => gateway.addPool({ id: "a", path: "/other" })),
      /^ALREADY_EXISTS: pool 'a'/,
    );
    assert.match(
      code(() => gateway.addPool({ id: "b", path: "/a" })),
      /^ALREADY_EXISTS: path \/a/,
    );
  });

  it("names what is missing", async () => {
    const gateway = await start();
    gateway.addPool({ id: "a", path: "/a" });

    assert.match(
      code(() => gateway.removePool("nope")),
      /^NOT_FOUND: no pool/,
    );
    assert.match(
      code(() => gateway.drainBackend("a", "nope", { move: true })),
      /^NOT_FOUND: pool 'a' has no backend 'nope'/,
    );
    assert.match(
      code(() => gateway.addBackend("a", { id: "x", url: "http://h" })),
      /^INVALID_ARGUMENT: url: expected a ws/,
    );
  });

  it("adds, undrains and lists backends", async () => {
    const gateway = await start();
    gateway.addPool({ id: "a", path: "/a" });

    gateway.addBackend("a", { id: "b1", url: backend.url, weight: 3 });
    gateway.drainBackend("a", "b1", { move: false });
    gateway.undrainBackend("a", "b1");
    const client = await new TestClient(proxy.url("/a")).opened();

    const [pool] = gateway.listPools();
    assert.equal(pool?.sessions, 1);
    assert.deepEqual(
      pool?.backends.map((b) => [b.id, b.weight, b.draining, b.openSessions]),
      [["b1", 3, false, 1]],
    );
    assert.match(
      code(() => gateway.addBackend("a", { id: "b1", url: backend.url })),
      /^ALREADY_EXISTS/,
    );
    client.close();
  });
});
