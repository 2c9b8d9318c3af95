import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ServiceError, status } from "@grpc/grpc-js";
import { pino } from "pino";
import { type AuthConfig, parseConfig } from "../../../src/config/index.js";
import type { ControlServiceClient } from "../../../src/gen/tributary/v1/control.js";
import {
  createGrpcServer,
  type GrpcServer,
  isLoopback,
} from "../../../src/serve/grpc/index.js";
import { createSilentLogger } from "../../../src/telemetry/index.js";
import { bearer, call, controlClient, failure } from "./grpc-test-client.js";
import { MemoryControl } from "./memory-control.js";
import { checkHealth, listServices } from "./stock-clients.js";

const ADMIN = "admin-token-0123456789";
const READER = "read-token-0123456789";

function authWith(tokens: unknown[]): AuthConfig {
  return parseConfig({ auth: { control: { tokens } } }).auth;
}

/** A logger whose lines the test can read. */
function capturingLogger() {
  const lines: string[] = [];
  const logger = pino(
    { level: "info" },
    { write: (l: string) => lines.push(l) },
  );
  return { logger, lines };
}

const source = {
  id: "a",
  url: "ws://127.0.0.1:1/feed",
  headers: {},
  subscribe: [],
  staleAfterMs: 0,
  connectTimeoutMs: 0,
  codec: { format: "json", topic: "t" },
};

/** Every mutating RPC with a request that passes the field checks. */
const MUTATIONS: [keyof ControlServiceClient & string, string, object][] = [
  ["addSource", "AddSource", { source }],
  ["updateSource", "UpdateSource", { source }],
  ["removeSource", "RemoveSource", { id: "a" }],
  ["pauseSource", "PauseSource", { id: "a" }],
  ["resumeSource", "ResumeSource", { id: "a" }],
  [
    "setGroup",
    "SetGroup",
    { group: { id: "g", mode: "", dataDeadlineMs: 0, members: [] } },
  ],
  ["removeGroup", "RemoveGroup", { id: "g" }],
  ["failover", "Failover", { group: "g", source: "a" }],
  ["disconnectClient", "DisconnectClient", { id: "c", reason: "" }],
];

describe("control plane auth", () => {
  let server: GrpcServer;
  let client: ControlServiceClient;
  let port: number;
  const log = capturingLogger();

  before(async () => {
    server = createGrpcServer({
      control: new MemoryControl(),
      config: { host: "127.0.0.1", grpcPort: 0 },
      auth: authWith([
        { token: ADMIN, role: "admin", name: "ops" },
        { token: READER, role: "read", name: "dashboard" },
      ]),
      logger: log.logger,
    });
    port = await server.start();
    client = controlClient(port);
  });
  after(async () => {
    client.close();
    await server.stop();
  });

  it("answers UNAUTHENTICATED without a token", async () => {
    const error = await failure(client.listSources, client, {});

    assert.equal(error.code, status.UNAUTHENTICATED);
    assert.equal(error.details, "missing bearer token");
  });

  it("answers UNAUTHENTICATED for an unknown or malformed token", async () => {
    const wrong = await failure(
      client.listSources,
      client,
      {},
      bearer(`${ADMIN}x`),
    );
    const basic = await failure(client.listSources, client, {}, bearer(""));

    assert.equal(wrong.code, status.UNAUTHENTICATED);
    assert.equal(wrong.details, "unknown bearer token");
    assert.equal(basic.code, status.UNAUTHENTICATED);
  });

  it("lets a read token read", async () => {
    const { sources } = await call(
      client.listSources,
      client,
      {},
      bearer(READER),
    );

    assert.deepEqual(sources, []);
  });

  for (const [method, rpc, request] of MUTATIONS) {
    it(`answers PERMISSION_DENIED to a read token calling ${rpc}`, async () => {
      const fn = client[method] as typeof client.removeSource;
      const error = await failure(fn, client, request as never, bearer(READER));

      assert.equal(error.code, status.PERMISSION_DENIED);
      assert.match(error.details, new RegExp(`^${rpc} needs an admin token`));
    });
  }

  it("lets an admin token change things", async () => {
    const { source: added } = await call(
      client.addSource,
      client,
      { source },
      bearer(ADMIN),
    );

    assert.equal(added?.source?.id, "a");
  });

  it("refuses a WatchEvents call without a token", async () => {
    const stream = client.watchEvents({});
    const error = await new Promise<ServiceError>((resolve) =>
      stream.on("error", resolve),
    );

    assert.equal(error.code, status.UNAUTHENTICATED);
  });

  it("serves health and reflection without a token", async () => {
    assert.equal(await checkHealth(port), "SERVING");
    assert.equal(
      await checkHealth(port, "tributary.v1.ControlService"),
      "SERVING",
    );
    assert.deepEqual(await listServices(port), [
      "grpc.health.v1.Health",
      "tributary.v1.ControlService",
    ]);
  });

  it("logs callers by name and never a token", () => {
    const text = log.lines.join("");

    assert.match(text, /"caller":"ops"/);
    assert.match(text, /"code":"PERMISSION_DENIED"/);
    assert.doesNotMatch(text, new RegExp(`${ADMIN}|${READER}`));
  });
});

describe("control plane without tokens", () => {
  it("refuses a non-loopback host, naming it", async () => {
    const server = createGrpcServer({
      control: new MemoryControl(),
      config: { host: "0.0.0.0", grpcPort: 0 },
      auth: authWith([]),
      logger: createSilentLogger(),
    });

    await assert.rejects(server.start(), /without tokens on 0\.0\.0\.0/);
    await server.stop();
  });

  it("serves loopback and warns that it is unauthenticated", async () => {
    const log = capturingLogger();
    const server = createGrpcServer({
      control: new MemoryControl(),
      config: { host: "127.0.0.1", grpcPort: 0 },
      auth: authWith([]),
      logger: log.logger,
    });
    const client = controlClient(await server.start());

    const { sources } = await call(client.listSources, client, {});
    client.close();
    await server.stop();

    assert.deepEqual(sources, []);
    const warning = log.lines.find((l) => l.includes("unauthenticated"));
    assert.match(warning ?? "", /"level":40/);
  });

  it("reports NOT_SERVING once stopped", async () => {
    const server = createGrpcServer({
      control: new MemoryControl(),
      config: { host: "127.0.0.1", grpcPort: 0 },
      auth: authWith([]),
      logger: createSilentLogger(),
    });
    const port = await server.start();

    server.setServing(false);

    assert.equal(await checkHealth(port), "NOT_SERVING");
    await server.stop();
  });

  it("knows loopback hosts", () => {
    for (const host of [
      "127.0.0.1",
      "127.1.2.3",
      "::1",
      "[::1]",
      "localhost",
    ]) {
      assert.equal(isLoopback(host), true, host);
    }
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "example.com"]) {
      assert.equal(isLoopback(host), false, host);
    }
  });
});
