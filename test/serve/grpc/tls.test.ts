import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { credentials, status } from "@grpc/grpc-js";
import { parseConfig } from "../../../src/config/index.js";
import {
  createGrpcServer,
  type GrpcServer,
} from "../../../src/serve/grpc/index.js";
import { createSilentLogger } from "../../../src/telemetry/index.js";
import { call, controlClient, failure } from "./grpc-test-client.js";
import { MemoryControl } from "./memory-control.js";
import { checkHealth } from "./stock-clients.js";
import { generateCerts, hasOpenssl, type TestCerts } from "./test-certs.js";

const skip = hasOpenssl() ? false : "openssl is not installed here";

function tlsServer(grpcTls: Record<string, string>): GrpcServer {
  return createGrpcServer({
    control: new MemoryControl(),
    config: { host: "127.0.0.1", grpcPort: 0, grpcTls: grpcTls as never },
    auth: parseConfig({}).auth,
    logger: createSilentLogger(),
  });
}

describe("gRPC TLS", { skip }, () => {
  let certs: TestCerts;

  before(() => {
    certs = generateCerts();
  });
  after(() => rmSync(certs.dir, { recursive: true, force: true }));

  describe("server TLS", () => {
    let server: GrpcServer;
    let port: number;

    before(async () => {
      server = tlsServer({
        certFile: certs.serverCertFile,
        keyFile: certs.serverKeyFile,
      });
      port = await server.start();
    });
    after(() => server.stop());

    it("serves a client that trusts the CA", async () => {
      const channel = credentials.createSsl(certs.read(certs.caFile));
      const client = controlClient(port, channel);

      const { sources } = await call(client.listSources, client, {});
      client.close();

      assert.deepEqual(sources, []);
      assert.equal(await checkHealth(port, "", channel), "SERVING");
    });

    it("does not talk to a plain-text client", async () => {
      const client = controlClient(port);

      const error = await failure(client.listSources, client, {});
      client.close();

      assert.equal(error.code, status.UNAVAILABLE);
    });
  });

  describe("mutual TLS", () => {
    let server: GrpcServer;
    let port: number;

    before(async () => {
      server = tlsServer({
        certFile: certs.serverCertFile,
        keyFile: certs.serverKeyFile,
        clientCaFile: certs.caFile,
      });
      port = await server.start();
    });
    after(() => server.stop());

    it("serves a client with a certificate the CA signed", async () => {
      const channel = credentials.createSsl(
        certs.read(certs.caFile),
        certs.read(certs.clientKeyFile),
        certs.read(certs.clientCertFile),
      );
      const client = controlClient(port, channel);

      const { sources } = await call(client.listSources, client, {});
      client.close();

      assert.deepEqual(sources, []);
    });

    it("refuses a client without a certificate", async () => {
      const channel = credentials.createSsl(certs.read(certs.caFile));
      const client = controlClient(port, channel);

      const error = await failure(client.listSources, client, {});
      client.close();

      assert.equal(error.code, status.UNAVAILABLE);
    });
  });

  it("names a certificate file it cannot read", async () => {
    const missing = join(certs.dir, "nope.pem");
    const server = tlsServer({
      certFile: missing,
      keyFile: certs.serverKeyFile,
    });

    await assert.rejects(
      server.start(),
      new RegExp(`server\\.grpcTls\\.certFile "${missing}": ENOENT`),
    );
    await server.stop();
  });
});
