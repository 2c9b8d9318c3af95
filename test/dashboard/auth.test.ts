import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  bearerSubprotocol,
  createDashboardAuth,
  DASHBOARD_SUBPROTOCOL,
} from "../../src/dashboard/index.js";
import {
  ADMIN_TOKEN,
  NO_AUTH,
  READ_TOKEN,
  requestOf,
  TOKENS_AUTH,
} from "./helpers.js";

const auth = createDashboardAuth(TOKENS_AUTH);

function protocols(...values: string[]): Record<string, string> {
  return { "sec-websocket-protocol": values.join(", ") };
}

describe("createDashboardAuth", () => {
  it("lets everyone in when no token is configured", () => {
    const open = createDashboardAuth(NO_AUTH);

    assert.equal(open.enabled, false);
    assert.equal(open.checkPage(requestOf("/")).ok, true);
    assert.equal(open.checkUpgrade(requestOf("/dashboard/live")).ok, true);
  });

  describe("checkPage", () => {
    it("accepts a read token in the query and names its viewer", () => {
      const url = `/?token=${encodeURIComponent(READ_TOKEN)}`;

      const access = auth.checkPage(requestOf(url));

      assert.deepEqual(access, {
        ok: true,
        viewer: { role: "read", name: "viewer" },
      });
    });

    it("accepts an admin token with URL-escaped characters", () => {
      const url = `/?token=${encodeURIComponent(ADMIN_TOKEN)}`;

      const access = auth.checkPage(requestOf(url));

      assert.equal(access.ok && access.viewer.role, "admin");
    });

    it("accepts an Authorization bearer header", () => {
      const headers = { authorization: `Bearer ${READ_TOKEN}` };

      assert.equal(auth.checkPage(requestOf("/", headers)).ok, true);
    });

    it("refuses a request without a token", () => {
      assert.deepEqual(auth.checkPage(requestOf("/")), {
        ok: false,
        reason: "missing token",
      });
      assert.deepEqual(auth.checkPage(requestOf("/?token=")), {
        ok: false,
        reason: "missing token",
      });
    });

    it("refuses a wrong token, a prefix of a token and a longer one", () => {
      for (const token of ["x".repeat(20), READ_TOKEN.slice(0, -1)]) {
        const access = auth.checkPage(requestOf(`/?token=${token}`));
        assert.deepEqual(access, { ok: false, reason: "unknown token" });
      }
      const longer = auth.checkPage(requestOf(`/?token=${READ_TOKEN}x`));
      assert.equal(longer.ok, false);
    });
  });

  describe("checkUpgrade", () => {
    it("accepts the token as a bearer subprotocol value", () => {
      const headers = protocols(
        DASHBOARD_SUBPROTOCOL,
        bearerSubprotocol(ADMIN_TOKEN),
      );

      const access = auth.checkUpgrade(requestOf("/dashboard/live", headers));

      assert.equal(access.ok && access.viewer.role, "admin");
    });

    it("encodes the token as an HTTP token-safe value", () => {
      const value = bearerSubprotocol(ADMIN_TOKEN);

      assert.match(value, /^bearer\.[A-Za-z0-9_-]+$/);
    });

    it("does not take a query token on the socket", () => {
      const url = `/dashboard/live?token=${READ_TOKEN}`;

      const access = auth.checkUpgrade(requestOf(url));

      assert.deepEqual(access, { ok: false, reason: "missing token" });
    });

    it("refuses a bearer value that is not base64url", () => {
      const headers = protocols(DASHBOARD_SUBPROTOCOL, "bearer.a/b");

      const access = auth.checkUpgrade(requestOf("/dashboard/live", headers));

      assert.deepEqual(access, { ok: false, reason: "malformed token" });
    });

    it("refuses a raw token sent without its encoding", () => {
      const headers = protocols(DASHBOARD_SUBPROTOCOL, `bearer.${READ_TOKEN}`);

      const access = auth.checkUpgrade(requestOf("/dashboard/live", headers));

      assert.equal(access.ok, false);
    });
  });
});
