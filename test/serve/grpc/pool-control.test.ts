import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import type {
  ControlServiceClient,
  Pool,
  PoolStatus,
} from "../../../src/gen/tributary/v1/control.js";
import { BackendHealth } from "../../../src/gen/tributary/v1/control.js";
import { EchoBackend, TestClient } from "../../proxy/helpers.js";
import { type RunningGateway, startGateway } from "../../support/gateway.js";
import { waitFor } from "../../support/wait-for.js";
import { bearer, call, controlClient, failure } from "./grpc-test-client.js";

const ADMIN = "pool-admin-token-0123456789";
const READER = "pool-reader-token-0123456789";

function pool(id: string, path: string, backends: EchoBackend[]): Pool {
  return {
    id,
    path,
    backends: backends.map((b) => ({ id: b.id, url: b.url, weight: 0 })),
    connectTimeoutMs: 0,
    forwardHeaders: [],
    maxBufferedBytes: 0,
    maxMessageBytes: 0,
  };
}

describe("ControlService pools on a running gateway", () => {
  const b1 = new EchoBackend("b1");
  const b2 = new EchoBackend("b2");
  let gw: RunningGateway;
  let client: ControlServiceClient;
  const admin = bearer(ADMIN);
  const clients: TestClient[] = [];

  const rpc = {
    listPools: async (): Promise<PoolStatus[]> =>
      (await call(client.listPools, client, {}, admin)).pools,
  };

  async function open(path: string): Promise<TestClient> {
    const ws = await new TestClient(
      gw.httpUrl.replace("http", "ws") + path,
    ).opened();
    clients.push(ws);
    return ws;
  }

  before(async () => {
    await b1.start();
    await b2.start();
    gw = await startGateway({
      auth: {
        control: {
          tokens: [
            { token: ADMIN, role: "admin", name: "admin" },
            { token: READER, role: "read", name: "reader" },
          ],
        },
      },
    });
    client = controlClient(gw.gateway.grpcPort);
  });
  afterEach(async () => {
    for (const ws of clients.splice(0)) ws.close();
    for (const p of await rpc.listPools()) {
      await call(client.removePool, client, { id: p.id }, admin);
    }
  });
  after(async () => {
    client.close();
    await gw.stop();
    await b1.stop();
    await b2.stop();
  });

  it("serves a pool added over gRPC and closes it on RemovePool", async () => {
    const added = await call(
      client.addPool,
      client,
      { pool: pool("chat", "/proxy/chat", [b1]) },
      admin,
    );
    const ws = await open("/proxy/chat");
    ws.ws.send("hello");
    await waitFor("the echo", () => ws.messages.length === 1);
    const [listed] = await rpc.listPools();
    await call(client.removePool, client, { id: "chat" }, admin);
    await waitFor("the client close", () => ws.closed !== undefined);

    assert.equal(added.pool?.path, "/proxy/chat");
    assert.equal(added.pool?.balancer, "round-robin");
    assert.equal(ws.messages[0]?.text, "hello");
    assert.equal(b1.sessions.at(-1)?.messages[0]?.text, "hello");
    assert.equal(listed?.sessions, 1);
    assert.equal(
      listed?.backends[0]?.health,
      BackendHealth.BACKEND_HEALTH_HEALTHY,
    );
    assert.equal(listed?.backends[0]?.openSessions, 1);
    assert.equal(listed?.backends[0]?.bytesToBackend, 5);
    assert.equal(ws.closed?.code, 1001);
    assert.deepEqual(await rpc.listPools(), []);
  });

  it("adds, drains and removes backends, steering new sessions", async () => {
    const before1 = b1.open.length;
    const before2 = b2.open.length;
    await call(client.addPool, client, { pool: pool("p", "/p", [b1]) }, admin);
    const first = await open("/p");
    await waitFor("b1's session", () => b1.open.length === before1 + 1);

    const grown = await call(
      client.addBackend,
      client,
      { pool: "p", backend: { id: "b2", url: b2.url, weight: 0 } },
      admin,
    );
    const drained = await call(
      client.drainBackend,
      client,
      { pool: "p", id: "b1", move: false },
      admin,
    );
    await open("/p");
    await open("/p");
    await waitFor("b2's sessions", () => b2.open.length === before2 + 2);
    const afterDrain = (await rpc.listPools())[0]?.backends;
    await call(
      client.drainBackend,
      client,
      { pool: "p", id: "b1", move: true },
      admin,
    );
    await waitFor("the move", () => b2.open.length === before2 + 3);
    await call(client.removeBackend, client, { pool: "p", id: "b1" }, admin);
    const last = (await rpc.listPools())[0]?.backends;

    assert.deepEqual(
      grown.pool?.backends.map((b) => b.backend?.id),
      ["b1", "b2"],
    );
    assert.equal(drained.pool?.backends[0]?.draining, true);
    assert.equal(b1.open.length, before1);
    assert.deepEqual(
      afterDrain?.map((b) => [b.backend?.id, b.draining, b.openSessions]),
      [
        ["b1", true, 1],
        ["b2", false, 2],
      ],
    );
    assert.equal(first.closed, undefined);
    assert.deepEqual(
      last?.map((b) => [b.backend?.id, b.openSessions]),
      [["b2", 3]],
    );
  });

  it("answers each bad request with its code and field", async () => {
    await call(client.addPool, client, { pool: pool("p", "/p", [b1]) }, admin);
    const bad = (req: Parameters<typeof client.addPool>[0]) =>
      failure(client.addPool, client, req, admin);
    const badUrl = pool("q", "/q", [b1]);
    badUrl.backends[0] = { id: "b1", url: "http://x", weight: 0 };

    const errors = [
      await bad({ pool: pool("p", "/other", []) }),
      await bad({ pool: pool("q", "/p", []) }),
      await bad({ pool: badUrl }),
      await bad({ pool: pool("q", "/ws", []) }),
      await bad({ pool: { ...pool("q", "/q", []), balancer: { type: "x" } } }),
      await bad({}),
      await failure(
        client.addBackend,
        client,
        { pool: "nope", backend: { id: "b", url: b1.url, weight: 0 } },
        admin,
      ),
      await failure(
        client.addBackend,
        client,
        { pool: "p", backend: { id: "b2", url: "ftp://x", weight: 0 } },
        admin,
      ),
      await failure(
        client.addBackend,
        client,
        { pool: "p", backend: { id: "b1", url: b1.url, weight: 0 } },
        admin,
      ),
      await failure(client.removePool, client, { id: "nope" }, admin),
      await failure(
        client.removeBackend,
        client,
        { pool: "p", id: "nope" },
        admin,
      ),
      await failure(
        client.drainBackend,
        client,
        { pool: "", id: "", move: false },
        admin,
      ),
    ];

    const seen = errors.map((e) => [status[e.code], e.details]);
    assert.deepEqual(
      seen.map(([code]) => code),
      [
        "ALREADY_EXISTS",
        "ALREADY_EXISTS",
        "INVALID_ARGUMENT",
        "INVALID_ARGUMENT",
        "INVALID_ARGUMENT",
        "INVALID_ARGUMENT",
        "NOT_FOUND",
        "INVALID_ARGUMENT",
        "ALREADY_EXISTS",
        "NOT_FOUND",
        "NOT_FOUND",
        "INVALID_ARGUMENT",
      ],
    );
    assert.match(String(seen[0]?.[1]), /pool 'p'/);
    assert.match(String(seen[1]?.[1]), /path \/p is served by another pool/);
    assert.match(String(seen[2]?.[1]), /^pool\.backends\[0\]\.url: expected/);
    assert.match(String(seen[3]?.[1]), /^pool\.path: a pool path may not/);
    assert.match(String(seen[4]?.[1]), /^pool\.balancer\.type: /);
    assert.equal(seen[5]?.[1], "pool: required");
    assert.match(String(seen[6]?.[1]), /no pool 'nope'/);
    assert.match(String(seen[7]?.[1]), /^backend\.url: expected a ws/);
    assert.match(String(seen[8]?.[1]), /already has backend 'b1'/);
    assert.match(String(seen[10]?.[1]), /has no backend 'nope'/);
    assert.equal(seen[11]?.[1], "pool: required; id: required");
    assert.equal((await rpc.listPools()).length, 1);
  });

  it("refuses pool changes to a read token but lets it list", async () => {
    const reader = bearer(READER);

    const denied = await failure(
      client.addPool,
      client,
      { pool: pool("r", "/r", [b1]) },
      reader,
    );
    const drain = await failure(
      client.drainBackend,
      client,
      { pool: "r", id: "b1", move: false },
      reader,
    );
    const listed = await call(client.listPools, client, {}, reader);

    assert.equal(denied.code, status.PERMISSION_DENIED);
    assert.equal(drain.code, status.PERMISSION_DENIED);
    assert.deepEqual(listed.pools, []);
  });
});
