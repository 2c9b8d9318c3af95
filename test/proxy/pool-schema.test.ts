import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { poolSchema } from "../../src/proxy/pool-schema.js";

const BASE = {
  id: "chat",
  path: "/proxy/chat",
  backends: [{ id: "a", url: "ws://127.0.0.1:9001/chat" }],
};

function issues(input: unknown): string[] {
  const result = poolSchema.safeParse(input);
  assert.equal(result.success, false, "expected the pool to be refused");
  return result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("poolSchema", () => {
  it("fills in defaults", () => {
    const pool = poolSchema.parse(BASE);

    assert.deepEqual(pool.balancer, { type: "round-robin" });
    assert.deepEqual(pool.forwardHeaders, ["authorization", "cookie"]);
    assert.equal(pool.backends[0]?.weight, 1);
    assert.equal(pool.failover.enabled, true);
    assert.equal(pool.healthCheck, undefined);
  });

  it("accepts a hash balancer on one header, cookie or query", () => {
    for (const key of ["header", "cookie", "query"]) {
      const balancer = { type: "hash", [key]: "user" };
      assert.ok(poolSchema.safeParse({ ...BASE, balancer }).success, key);
    }
  });

  it("refuses a hash balancer naming none or two keys", () => {
    const none = issues({ ...BASE, balancer: { type: "hash" } });
    const two = { type: "hash", header: "x-user", query: "user" };

    assert.match(none.join(), /^balancer: .*exactly one/);
    assert.match(issues({ ...BASE, balancer: two }).join(), /exactly one/);
  });

  it("refuses reserved paths and paths without a slash", () => {
    for (const path of ["/ws", "/healthz", "/readyz", "/metrics"]) {
      assert.match(issues({ ...BASE, path }).join(), /^path: .*may not be/);
    }
    assert.match(issues({ ...BASE, path: "proxy" }).join(), /^path: /);
    assert.match(issues({ ...BASE, path: "/p?x=1" }).join(), /^path: /);
  });

  it("refuses non-WebSocket backend URLs and duplicate backend ids", () => {
    const http = { id: "a", url: "http://127.0.0.1:9001" };
    const twice = [BASE.backends[0], { id: "a", url: "ws://127.0.0.1:2" }];

    assert.match(issues({ ...BASE, backends: [http] }).join(), /ws:\/\//);
    assert.match(
      issues({ ...BASE, backends: twice }).join(),
      /^backends.1.id: backend id 'a' is used twice/,
    );
  });

  it("refuses forwarding handshake headers, and lowercases the rest", () => {
    const names = ["Host", "Sec-WebSocket-Key", "Connection"];

    assert.equal(issues({ ...BASE, forwardHeaders: names }).length, 3);
    const pool = poolSchema.parse({ ...BASE, forwardHeaders: ["X-Tenant"] });
    assert.deepEqual(pool.forwardHeaders, ["x-tenant"]);
  });

  it("refuses a health check whose timeout exceeds its interval", () => {
    const healthCheck = { type: "http", intervalMs: 100, timeoutMs: 200 };

    assert.match(
      issues({ ...BASE, healthCheck }).join(),
      /^healthCheck.timeoutMs: /,
    );
  });

  it("refuses unknown fields", () => {
    assert.match(issues({ ...BASE, balance: "rr" }).join(), /balance/);
  });
});
