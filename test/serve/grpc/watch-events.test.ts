import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ServiceError, status } from "@grpc/grpc-js";
import {
  Change,
  type ControlServiceClient,
  SourceState,
  Transport,
  type WatchEventsResponse,
} from "../../../src/gen/tributary/v1/control.js";
import {
  type GrpcServer,
  MAX_PENDING_EVENTS,
} from "../../../src/serve/grpc/index.js";
import { waitFor } from "../../support/wait-for.js";
import { controlClient } from "./grpc-test-client.js";
import { type MemoryControl, serveMemoryControl } from "./memory-control.js";

/** Opens a watch and resolves once the server has started it. */
async function watch(client: ControlServiceClient) {
  const stream = client.watchEvents({});
  const received: WatchEventsResponse[] = [];
  const ended: { error?: ServiceError } = {};
  stream.on("data", (event: WatchEventsResponse) => received.push(event));
  stream.on("error", (error: ServiceError) => {
    ended.error = error;
  });
  await new Promise((resolve) => stream.once("metadata", resolve));
  return { stream, received, ended };
}

describe("WatchEvents", () => {
  let control: MemoryControl;
  let server: GrpcServer;
  let client: ControlServiceClient;

  before(async () => {
    let port: number;
    ({ control, server, port } = await serveMemoryControl());
    client = controlClient(port);
  });
  after(async () => {
    client.close();
    await server.stop();
  });

  it("streams each kind of event in order, mapped", async () => {
    const { stream, received } = await watch(client);

    const to = { state: "down", reason: "closed 1006", since: 5 } as const;
    control.subject.next({
      type: "source-health",
      source: "a",
      from: "up",
      to,
      at: 5,
    });
    control.subject.next({
      type: "group",
      group: "g",
      change: "removed",
      at: 6,
    });
    control.subject.next({
      type: "failover",
      group: "g",
      to: "b",
      reason: "forced",
      at: 7,
    });
    control.subject.next({
      type: "client",
      client: "c1",
      transport: "grpc",
      connected: true,
      remoteAddress: "127.0.0.1:9",
      at: 8,
    });
    await waitFor("four events", () => received.length === 4);
    stream.cancel();

    assert.deepEqual(received, [
      {
        timeMs: 5,
        event: {
          $case: "sourceHealth",
          value: {
            source: "a",
            from: SourceState.SOURCE_STATE_UP,
            to: {
              state: SourceState.SOURCE_STATE_DOWN,
              reason: "closed 1006",
              sinceMs: 5,
              nextRetryMs: 0,
            },
          },
        },
      },
      {
        timeMs: 6,
        event: {
          $case: "group",
          value: { group: "g", change: Change.CHANGE_REMOVED },
        },
      },
      {
        timeMs: 7,
        event: {
          $case: "failover",
          value: { group: "g", from: "", to: "b", reason: "forced" },
        },
      },
      {
        timeMs: 8,
        event: {
          $case: "client",
          value: {
            client: "c1",
            transport: Transport.TRANSPORT_GRPC,
            connected: true,
            remoteAddress: "127.0.0.1:9",
            reason: "",
          },
        },
      },
    ]);
  });

  it("unsubscribes when the caller cancels", async () => {
    const { stream } = await watch(client);
    assert.equal(control.subject.observed, true);

    stream.cancel();

    await waitFor("the unsubscription", () => !control.subject.observed);
  });

  it("ends a watcher that stops reading with RESOURCE_EXHAUSTED", async () => {
    const { stream, received, ended } = await watch(client);
    stream.pause();

    let sent = 0;
    while (control.subject.observed && sent < 200_000) {
      for (let i = 0; i < 500; i++) {
        control.subject.next({
          type: "source",
          source: `s${sent++}`,
          change: "added",
          at: sent,
        });
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(control.subject.observed, false, "still subscribed");
    stream.resume();

    await waitFor("the stream to end", () => ended.error !== undefined);
    assert.equal(ended.error?.code, status.RESOURCE_EXHAUSTED);
    assert.ok(received.length < sent, "every event was delivered");
    assert.ok(sent > MAX_PENDING_EVENTS);
  });

  it("delivers a burst below the bound whole", async () => {
    const { stream, received, ended } = await watch(client);
    const burst = MAX_PENDING_EVENTS / 2;

    for (let i = 0; i < burst; i++) {
      control.subject.next({
        type: "source",
        source: "x",
        change: "added",
        at: i,
      });
    }

    await waitFor("every event", () => received.length === burst, 20_000);
    assert.equal(ended.error, undefined);
    assert.deepEqual(
      received.slice(0, 3).map((r) => r.timeMs),
      [0, 1, 2],
    );
    stream.cancel();
  });
});
