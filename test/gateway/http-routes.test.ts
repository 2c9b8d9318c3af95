import assert from "node:assert/strict";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  type HttpRouteContext,
  handleHttpRequest,
} from "../../src/gateway/http-routes.js";
import type { Readiness } from "../../src/telemetry/index.js";

describe("handleHttpRequest", () => {
  let server: Server;
  let base: string;
  /** What the next request sees; each test sets what it needs. */
  let context: HttpRouteContext = {};

  before(async () => {
    server = createServer((req, res) => handleHttpRequest(req, res, context));
    await new Promise<void>((resolve) =>
      server.listen(0, "127.0.0.1", resolve),
    );
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const ready: Readiness = { ready: true, problems: [] };
  const notReady: Readiness = {
    ready: false,
    problems: [{ group: "g", reason: "no member is up" }],
  };

  it("answers /healthz with 200 even when not ready", async () => {
    context = { readiness: () => notReady };

    const res = await fetch(`${base}/healthz`);

    assert.equal(res.status, 200);
    assert.equal(await res.text(), "ok\n");
  });

  it("answers /readyz with 200 and the readiness as JSON", async () => {
    context = { readiness: () => ready };

    const res = await fetch(`${base}/readyz?verbose=1`);

    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.deepEqual(await res.json(), { ready: true, problems: [] });
  });

  it("answers /readyz with 503 and what is not ready", async () => {
    context = { readiness: () => notReady };

    const res = await fetch(`${base}/readyz`);

    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), {
      ready: false,
      problems: [{ group: "g", reason: "no member is up" }],
    });
  });

  it("falls back to ready() when no readiness is given", async () => {
    context = { ready: () => false };
    const starting = await fetch(`${base}/readyz`);
    context = { ready: () => true };
    const started = await fetch(`${base}/readyz`);
    context = {};
    const nothing = await fetch(`${base}/readyz`);

    assert.equal(starting.status, 503);
    const body = (await starting.json()) as Readiness;
    assert.deepEqual(body.problems, [{ reason: "starting" }]);
    assert.equal(started.status, 200);
    assert.equal(nothing.status, 503);
    await nothing.text();
  });

  it("serves /metrics as Prometheus text", async () => {
    context = { metrics: async () => "# TYPE x counter\nx_total 3\n" };

    const res = await fetch(`${base}/metrics`);

    assert.equal(res.status, 200);
    assert.equal(
      res.headers.get("content-type"),
      "text/plain; version=0.0.4; charset=utf-8",
    );
    assert.equal(await res.text(), "# TYPE x counter\nx_total 3\n");
  });

  it("answers 500 when collecting metrics fails", async () => {
    context = {
      metrics: () => Promise.reject(new Error("callback exploded")),
    };

    const res = await fetch(`${base}/metrics`);

    assert.equal(res.status, 500);
    assert.match(await res.text(), /callback exploded/);
  });

  it("answers 404 for /metrics when there are no metrics", async () => {
    context = {};

    const res = await fetch(`${base}/metrics`);

    assert.equal(res.status, 404);
    assert.match(await res.text(), /try \/ws, \/healthz or \/readyz/);
  });

  it("answers 404 for an unknown path, naming the routes", async () => {
    context = { metrics: async () => "" };

    const res = await fetch(`${base}/nope`);

    assert.equal(res.status, 404);
    assert.match(await res.text(), /\/healthz, \/readyz or \/metrics/);
  });

  it("answers 405 to a method other than GET or HEAD", async () => {
    context = { readiness: () => ready };

    const res = await fetch(`${base}/readyz`, { method: "POST" });

    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET, HEAD");
    await res.text();
  });

  it("answers HEAD with the status and no body", async () => {
    context = { readiness: () => notReady };

    const { status, body } = await new Promise<{
      status: number;
      body: string;
    }>((resolve, reject) => {
      const req = request(`${base}/readyz`, { method: "HEAD" }, (res) => {
        let body = "";
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });

    assert.equal(status, 503);
    assert.equal(body, "");
  });
});
