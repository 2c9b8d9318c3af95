import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { PoolInput } from "../../src/proxy/index.js";
import { waitFor } from "../support/wait-for.js";
import {
  EchoBackend,
  openClients,
  ProxyHarness,
  type TestClient,
} from "./helpers.js";

describe("balancing through the proxy", () => {
  let backends: EchoBackend[] = [];
  let proxy: ProxyHarness | undefined;
  let clients: TestClient[] = [];

  afterEach(async () => {
    for (const client of clients) client.close();
    clients = [];
    await proxy?.stop();
    proxy = undefined;
    await Promise.all(backends.map((b) => b.stop()));
    backends = [];
  });

  async function setUp(count: number, balancer: PoolInput["balancer"]) {
    backends = await Promise.all(
      Array.from({ length: count }, (_, i) => new EchoBackend(`b${i}`).start()),
    );
    proxy = await new ProxyHarness([
      {
        id: "pool",
        path: "/pool",
        balancer,
        forwardHeaders: ["x-user", "x-n"],
        backends: backends.map((b) => ({ id: b.id, url: b.url })),
      },
    ]).start();
    return proxy.url("/pool");
  }

  /** The backend that holds the latest session of `user`. */
  function backendOf(user: string): string | undefined {
    let found: string | undefined;
    for (const backend of backends) {
      if (backend.open.some((s) => s.headers["x-user"] === user)) {
        found = backend.id;
      }
    }
    return found;
  }

  it("round-robin spreads sessions evenly", async () => {
    const url = await setUp(3, { type: "round-robin" });

    clients = await openClients(url, 30);

    assert.deepEqual(
      backends.map((b) => b.sessions.length),
      [10, 10, 10],
    );
  });

  it("least-connections sends new sessions where load is lowest", async () => {
    const url = await setUp(2, { type: "least-connections" });
    clients = await openClients(url, 6, (n) => ({ "x-n": `${n}` }));
    const [b0] = backends as [EchoBackend, EchoBackend];
    assert.equal(b0.open.length, 3);

    // Three of b0's clients leave; the next three belong to b0.
    for (const session of b0.open) {
      clients[Number(session.headers["x-n"])]?.ws.close(1000);
    }
    await waitFor("b0's sessions to close", () => b0.open.length === 0);
    await waitFor(
      "the proxy to see them go",
      () => proxy?.gateway.listPools()[0]?.backends[0]?.openSessions === 0,
    );
    clients.push(...(await openClients(url, 3)));

    assert.deepEqual(
      backends.map((b) => b.open.length),
      [3, 3],
    );
    assert.equal(b0.sessions.length, 6);
  });

  it("hash keeps a key on its backend and moves about 1/n on an add", async () => {
    const url = await setUp(4, { type: "hash", header: "x-user" });
    const users = Array.from({ length: 100 }, (_, n) => `user-${n}`);
    const header = (n: number) => ({ "x-user": users[n] as string });

    clients = await openClients(url, users.length, header);
    const before = new Map(users.map((u) => [u, backendOf(u)]));
    for (const client of clients) client.close();
    clients = await openClients(url, users.length, header);
    for (const user of users) assert.equal(backendOf(user), before.get(user));

    const added = await new EchoBackend("b4").start();
    backends.push(added);
    proxy?.gateway.addBackend("pool", { id: added.id, url: added.url });
    for (const client of clients) client.close();
    clients = await openClients(url, users.length, header);

    const moved = users.filter((u) => backendOf(u) !== before.get(u));
    for (const user of moved) assert.equal(backendOf(user), "b4", user);
    // 1/5 of 100 keys is 20; the ring's ±25% and sampling leave room.
    assert.ok(moved.length >= 8 && moved.length <= 35, `${moved.length}`);
    const counts = backends.map((b) => b.open.length);
    assert.ok(Math.min(...counts) >= 8, `uneven: ${counts}`);
  });
});
