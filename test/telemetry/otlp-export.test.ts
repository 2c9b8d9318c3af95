import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const FIXTURE = fileURLToPath(
  new URL("./fixtures/emit-spans.ts", import.meta.url),
);
const CHILD_TIMEOUT_MS = 20_000;

interface Received {
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
}

/** Runs the fixture with `env` added to ours, less any OTEL_ variable. */
async function runChild(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_")),
  );
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE], {
    env: { ...base, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) =>
    child.once("close", resolve),
  );
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Span names and attributes from OTLP/JSON export requests. */
function spansOf(received: readonly Received[]) {
  const spans: { name: string; attributes: Record<string, unknown> }[] = [];
  const services: unknown[] = [];
  for (const request of received) {
    const json = JSON.parse(request.body.toString("utf8"));
    for (const resourceSpans of json.resourceSpans ?? []) {
      for (const attr of resourceSpans.resource?.attributes ?? []) {
        if (attr.key === "service.name") services.push(attr.value.stringValue);
      }
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          const attributes: Record<string, unknown> = {};
          for (const a of span.attributes ?? []) {
            attributes[a.key] = Object.values(a.value)[0];
          }
          spans.push({ name: span.name, attributes });
        }
      }
    }
  }
  return { spans, services };
}

describe("OTLP export to a real receiver", () => {
  let receiver: Server;
  let endpoint: string;
  const received: Received[] = [];

  before(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        received.push({
          path: req.url ?? "",
          contentType: req.headers["content-type"] ?? "",
          body: Buffer.concat(chunks),
        });
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{}");
      });
    });
    await new Promise<void>((resolve) =>
      receiver.listen(0, "127.0.0.1", resolve),
    );
    const { port } = receiver.address() as AddressInfo;
    endpoint = `http://127.0.0.1:${port}`;
  });
  beforeEach(() => {
    received.length = 0;
  });
  after(async () => {
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it("sends the gateway's spans as OTLP/JSON when asked to", async () => {
    const child = await runChild({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    });

    assert.equal(child.code, 0, child.stderr);
    assert.equal(child.stdout, "environment tributary\n");
    assert.ok(received.every((r) => r.path === "/v1/traces"));
    const { spans, services } = spansOf(received);
    assert.deepEqual(services, ["tributary"]);
    const names = spans.map((s) => s.name).sort();
    assert.deepEqual(names, ["group.failover", "source.connect"]);
    const connect = spans.find((s) => s.name === "source.connect");
    assert.equal(connect?.attributes["url.full"], "ws://127.0.0.1:9/feed");
    assert.equal(connect?.attributes["tributary.connect.outcome"], "connected");
  });

  it("sends OTLP/protobuf by default, under OTEL_SERVICE_NAME", async () => {
    const child = await runChild({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_SERVICE_NAME: "edge-7",
    });

    assert.equal(child.code, 0, child.stderr);
    assert.equal(child.stdout, "environment edge-7\n");
    assert.ok(received.length >= 1, "no export request arrived");
    assert.equal(received[0]?.path, "/v1/traces");
    assert.equal(received[0]?.contentType, "application/x-protobuf");
    assert.ok(received[0]?.body.includes("group.failover"));
    assert.ok(received[0]?.body.includes("edge-7"));
  });

  it("exports nothing without an endpoint", async () => {
    const child = await runChild({});

    assert.equal(child.code, 0, child.stderr);
    assert.equal(child.stdout, "none tributary\n");
    assert.equal(received.length, 0);
  });
});
