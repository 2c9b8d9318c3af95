import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { WebSocket, WebSocketServer } from "ws";
import { parseConfig } from "../../src/config/index.js";
import { TestClient } from "../support/client.js";
import { type RunningGateway, startGateway } from "../support/gateway.js";
import { waitFor } from "../support/wait-for.js";

describe("proxy pools on the gateway's port", () => {
  let backend: WebSocketServer;
  let gw: RunningGateway;

  before(async () => {
    backend = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise((resolve) => backend.once("listening", resolve));
    backend.on("connection", (socket) => {
      socket.on("message", (data, isBinary) =>
        socket.send(data, { binary: isBinary }),
      );
    });
    const { port } = backend.address() as AddressInfo;
    gw = await startGateway({
      pools: [
        {
          id: "echo",
          path: "/proxy/echo",
          backends: [{ id: "b1", url: `ws://127.0.0.1:${port}/` }],
        },
      ],
    });
  });

  after(async () => {
    await gw.stop();
    for (const client of backend.clients) client.terminate();
    await new Promise((resolve) => backend.close(resolve));
  });

  it("forwards a client on a pool path to its backend", async () => {
    const client = await TestClient.connect(
      gw.wsUrl.replace("/ws", "/proxy/echo"),
    );
    client.send({ hello: "there" });
    await waitFor("the echo", () => client.frames.length === 1);
    assert.deepEqual(client.frames[0], { hello: "there" });
    await client.close();
  });

  it("still answers 404 for a path nobody serves", async () => {
    const socket = new WebSocket(gw.wsUrl.replace("/ws", "/nowhere"));
    const status = await new Promise<number>((resolve) => {
      socket.on("unexpected-response", (_req, res) =>
        resolve(res.statusCode ?? 0),
      );
      socket.on("error", () => {});
    });
    assert.equal(status, 404);
  });

  it("refuses two pools on one path in the config", () => {
    const pool = (id: string) => ({
      id,
      path: "/proxy/same",
      backends: [{ id: "b", url: "ws://127.0.0.1:1/" }],
    });
    assert.throws(
      () => parseConfig({ pools: [pool("a"), pool("b")] }),
      /pools\[1\]\.path: path "\/proxy\/same" is already pools\[0\]'s/,
    );
  });
});
