import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { SpanKind } from "@opentelemetry/api";
import { ECHO_SERVICE } from "./fixtures/echo-service.js";
import {
  type MemoryTracing,
  parentOf,
  startMemoryTracing,
  waitFor,
} from "./helpers.js";

// grpc-js is imported only after tracing starts, as the gateway must do:
// the instrumentation patches it as it loads. No static import of it here.
type Grpc = typeof import("@grpc/grpc-js");

const CALLER = fileURLToPath(
  new URL("./fixtures/grpc-call.ts", import.meta.url),
);
const run = promisify(execFile);

describe("gRPC instrumentation", () => {
  let memory: MemoryTracing;
  let grpc: Grpc;
  let server: InstanceType<Grpc["Server"]>;
  let address: string;

  before(async () => {
    memory = await startMemoryTracing(true);
    grpc = await import("@grpc/grpc-js");
    server = new grpc.Server();
    server.addService(ECHO_SERVICE, {
      say: (call: { request: Buffer }, reply: (e: null, b: Buffer) => void) =>
        reply(null, call.request),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        "127.0.0.1:0",
        grpc.ServerCredentials.createInsecure(),
        (err, bound) => (err ? reject(err) : resolve(bound)),
      ),
    );
    address = `127.0.0.1:${port}`;
  });
  after(async () => {
    server.forceShutdown();
    await memory.tracing.shutdown();
  });

  it("continues the trace of a caller's traceparent", async () => {
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    const callerSpan = "b7ad6b7169203331";
    const traceparent = `00-${traceId}-${callerSpan}-01`;

    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", CALLER, address, traceparent],
      { timeout: 20_000 },
    );
    await waitFor("the server span", () => {
      return memory.spans("grpc.test.Echo/Say").length === 1;
    });

    assert.equal(stdout, "hello\n");
    const [span] = memory.spans("grpc.test.Echo/Say");
    assert.ok(span);
    assert.equal(span.kind, SpanKind.SERVER);
    assert.equal(span.spanContext().traceId, traceId);
    assert.equal(parentOf(span), callerSpan);
  });

  it("traces an instrumented client's call end to end", async () => {
    const Echo = grpc.makeGenericClientConstructor(ECHO_SERVICE, "Echo");
    const client = new Echo(address, grpc.credentials.createInsecure());

    const reply = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest(
        ECHO_SERVICE.say.path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from("again"),
        (err, value) => (err || !value ? reject(err) : resolve(value)),
      ),
    );
    client.close();
    await waitFor("both spans", () => {
      return memory.spans("grpc.test.Echo/Say").length === 3;
    });

    assert.equal(reply.toString(), "again");
    const spans = memory.spans("grpc.test.Echo/Say").slice(1);
    const clientSpan = spans.find((s) => s.kind === SpanKind.CLIENT);
    const serverSpan = spans.find((s) => s.kind === SpanKind.SERVER);
    assert.ok(clientSpan && serverSpan);
    assert.equal(
      serverSpan.spanContext().traceId,
      clientSpan.spanContext().traceId,
    );
    assert.equal(parentOf(serverSpan), clientSpan.spanContext().spanId);
  });
});
