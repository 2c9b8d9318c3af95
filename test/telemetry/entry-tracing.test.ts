import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { TestUpstream } from "../support/upstream.js";
import { waitFor } from "../support/wait-for.js";

const BIN = fileURLToPath(new URL("../../bin/tributary.js", import.meta.url));

/** Names and attributes of the spans in OTLP/JSON request bodies. */
function spansIn(bodies: readonly string[]) {
  const spans: { name: string; attributes: Record<string, unknown> }[] = [];
  for (const body of bodies) {
    for (const resource of JSON.parse(body).resourceSpans ?? []) {
      for (const scope of resource.scopeSpans ?? []) {
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
  return spans;
}

describe("bin/tributary.js serve with OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  const upstream = new TestUpstream();
  const bodies: string[] = [];
  let receiver: Server;
  let endpoint: string;
  let dir: string;
  let child: ChildProcess | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "tributary-otel-"));
    await upstream.start();
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        if (req.url === "/v1/traces") bodies.push(body);
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

  after(async () => {
    if (child?.exitCode === null) child.kill("SIGKILL");
    await upstream.stop();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it("exports the source.connect span once stopped by SIGTERM", async () => {
    const file = join(dir, "gateway.yaml");
    await writeFile(
      file,
      [
        "server: { port: 0, grpcPort: 0 }",
        "sources:",
        "  - id: feed",
        `    url: ${upstream.url}`,
        "    codec: { format: text, topic: chat.lobby }",
      ].join("\n"),
    );
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_")),
    );
    const spawned = spawn(
      process.execPath,
      [BIN, "serve", "--config", file, "--data-dir", dir],
      {
        env: {
          ...env,
          LOG_LEVEL: "warn",
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
          // Long enough that only shutdown can have flushed the span.
          OTEL_BSP_SCHEDULE_DELAY: "60000",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child = spawned;
    let stderr = "";
    spawned.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    let exit: number | null | undefined;
    spawned.on("exit", (code) => {
      exit = code;
    });

    await waitFor(
      "the source to connect",
      () => upstream.clients.size === 1,
      20_000,
    );
    assert.equal(bodies.length, 0, "spans exported before shutdown");
    spawned.kill("SIGTERM");
    await waitFor("the process to exit", () => exit !== undefined, 20_000);

    assert.equal(exit, 0, stderr);
    const connect = spansIn(bodies).find((s) => s.name === "source.connect");
    assert.ok(connect, `no source.connect span in ${bodies.length} requests`);
    assert.equal(connect.attributes["tributary.source.id"], "feed");
    assert.equal(connect.attributes["url.full"], upstream.url);
    assert.equal(connect.attributes["tributary.connect.outcome"], "connected");
  });
});
