import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { PoolInput } from "../../src/proxy/index.js";
import { waitFor } from "../support/wait-for.js";
import { EchoBackend, ProxyHarness, TestClient } from "./helpers.js";

describe("session failover", () => {
  let backends: EchoBackend[] = [];
  let proxy: ProxyHarness | undefined;
  let client: TestClient | undefined;

  afterEach(async () => {
    client?.close();
    await proxy?.stop();
    proxy = undefined;
    await Promise.all(backends.map((b) => b.stop()));
  });

  async function connect(count: number, pool: Partial<PoolInput> = {}) {
    backends = await Promise.all(
      Array.from({ length: count }, (_, i) => new EchoBackend(`b${i}`).start()),
    );
    proxy = await new ProxyHarness([
      {
        id: "pool",
        path: "/pool",
        backends: backends.map((b) => ({ id: b.id, url: b.url })),
        failover: { enabled: true, replayFrames: 2, replayBytes: 1024 },
        ...pool,
      },
    ]).start();
    client = await new TestClient(proxy.url("/pool")).opened();
    const [first, second] = backends as [EchoBackend, EchoBackend];
    return { c: client, first, second };
  }

  function texts(backend: EchoBackend): string[][] {
    return backend.sessions.map((s) => s.messages.map((m) => m.text));
  }

  it("moves a session whose backend dies and replays its opening", async () => {
    const { c, first, second } = await connect(2);
    for (const text of ["login", "subscribe", "chat-1"]) c.ws.send(text);
    await waitFor("three echoes", () => c.messages.length === 3);

    await first.kill();
    await waitFor("the replay on b1", () => second.open.length === 1);
    c.ws.send("chat-2");
    await waitFor("the echo of chat-2", () =>
      c.messages.some((m) => m.text === "chat-2"),
    );

    assert.equal(c.closed, undefined, "the client saw a close");
    assert.deepEqual(texts(second), [["login", "subscribe", "chat-2"]]);
    const [session] = proxy?.gateway.listSessions() ?? [];
    assert.equal(session?.backend, "b1");
    assert.equal(session?.moves, 1);
    // Echoes of the replayed frames reach the client, as documented.
    assert.deepEqual(
      c.messages.map((m) => m.text),
      ["login", "subscribe", "chat-1", "login", "subscribe", "chat-2"],
    );
  });

  it("replays only the opening frames that fit the byte bound", async () => {
    const { c, first, second } = await connect(2, {
      failover: { enabled: true, replayFrames: 5, replayBytes: 10 },
    });
    for (const text of ["12345678", "abcdef", "xy"]) c.ws.send(text);
    await waitFor("three echoes", () => c.messages.length === 3);

    await first.kill();

    await waitFor("the replay on b1", () => second.open.length === 1);
    await waitFor("one frame replayed", () => texts(second)[0]?.length === 1);
    assert.deepEqual(texts(second), [["12345678"]]);
  });

  it("closes 1014 when no other backend can take the session", async () => {
    const { c, first } = await connect(1);

    await first.kill();

    await waitFor("the client close", () => c.closed !== undefined);
    assert.equal(c.closed?.code, 1014);
    assert.match(c.closed?.reason ?? "", /no backend/);
  });

  it("moves the sessions of a backend drained with move", async () => {
    const { c, first, second } = await connect(2);
    c.ws.send("login");
    await waitFor("the echo", () => c.messages.length === 1);

    proxy?.gateway.drainBackend("pool", "b0", { move: true });

    await waitFor("the replay", () => texts(second)[0]?.length === 1);
    await waitFor("the old session to close", () => first.open.length === 0);
    assert.equal(first.sessions[0]?.closed?.code, 1001);
    assert.deepEqual(texts(second), [["login"]]);
    assert.equal(c.closed, undefined);
    const next = await new TestClient(proxy?.url("/pool") ?? "").opened();
    next.close();
    assert.equal(first.sessions.length, 1, "a drained backend got a session");
  });

  it("leaves sessions on a backend drained without move", async () => {
    const { c, first, second } = await connect(2);

    proxy?.gateway.drainBackend("pool", "b0", { move: false });
    const others = [
      await new TestClient(proxy?.url("/pool") ?? "").opened(),
      await new TestClient(proxy?.url("/pool") ?? "").opened(),
    ];

    assert.equal(first.open.length, 1);
    assert.equal(second.open.length, 2);
    const [b0] = proxy?.gateway.listPools()[0]?.backends ?? [];
    assert.equal(b0?.draining, true);
    assert.equal(b0?.openSessions, 1);
    c.ws.send("still here");
    await waitFor("the echo", () => c.messages.length === 1);
    for (const other of others) other.close();
  });

  it("moves sessions off a removed backend", async () => {
    const { c, second } = await connect(2);
    c.ws.send("login");
    await waitFor("the echo", () => c.messages.length === 1);

    proxy?.gateway.removeBackend("pool", "b0");

    await waitFor("the move", () => second.open.length === 1);
    const ids = proxy?.gateway.listPools()[0]?.backends.map((b) => b.id);
    assert.deepEqual(ids, ["b1"]);
    assert.equal(c.closed, undefined);
  });
});
