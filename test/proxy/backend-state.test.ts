import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BackendState } from "../../src/proxy/backend-state.js";

const CONFIG = { id: "b1", url: "ws://127.0.0.1:1", weight: 1 };
const THRESHOLDS = { healthyThreshold: 2, unhealthyThreshold: 3 };

function backend(failures = 2, ejectMs = 1000) {
  const clock = { now: 1_000_000 };
  const state = new BackendState(
    CONFIG,
    { failures, ejectMs },
    () => clock.now,
  );
  return { state, clock };
}

describe("BackendState", () => {
  describe("active checks", () => {
    it("turns unhealthy only after unhealthyThreshold failures in a row", () => {
      const { state } = backend();

      state.recordCheck(false, THRESHOLDS);
      state.recordCheck(false, THRESHOLDS);
      state.recordCheck(true, THRESHOLDS);
      state.recordCheck(false, THRESHOLDS);
      state.recordCheck(false, THRESHOLDS);
      assert.equal(state.health, "healthy");

      assert.equal(state.recordCheck(false, THRESHOLDS), true);
      assert.equal(state.health, "unhealthy");
      assert.equal(state.eligible, false);
    });

    it("turns healthy again after healthyThreshold passes in a row", () => {
      const { state } = backend();
      for (let i = 0; i < 3; i++) state.recordCheck(false, THRESHOLDS);

      assert.equal(state.recordCheck(true, THRESHOLDS), false);
      assert.equal(state.recordCheck(true, THRESHOLDS), true);
      assert.equal(state.health, "healthy");
    });
  });

  describe("passive ejection", () => {
    it("ejects after `failures` failed connects in a row", () => {
      const { state } = backend(2);

      assert.equal(state.recordConnectFailure("refused"), false);
      assert.equal(state.recordConnectFailure("refused"), true);
      assert.equal(state.health, "ejected");
      assert.equal(state.connectFailures, 2);
      assert.equal(state.view().lastError, "refused");
    });

    it("a success in between resets the count", () => {
      const { state } = backend(2);

      state.recordConnectFailure("refused");
      state.recordConnectSuccess();
      state.recordConnectFailure("refused");
      assert.equal(state.health, "healthy");
    });

    it("re-admits after the backoff, which doubles per ejection", () => {
      const { state, clock } = backend(1, 1000);

      state.recordConnectFailure("refused");
      assert.equal(state.view().ejectedUntil, clock.now + 1000);
      clock.now += 1000;
      assert.equal(state.health, "healthy");

      state.recordConnectFailure("refused");
      assert.equal(state.view().ejectedUntil, clock.now + 2000);
      clock.now += 1999;
      assert.equal(state.health, "ejected");
      clock.now += 1;
      assert.equal(state.health, "healthy");
    });

    it("caps the backoff at 16 times ejectMs", () => {
      const { state, clock } = backend(1, 1000);
      for (let i = 0; i < 10; i++) state.recordConnectFailure("refused");

      assert.equal(state.view().ejectedUntil, clock.now + 16_000);
    });

    it("never ejects when failures is 0", () => {
      const { state } = backend(0);
      for (let i = 0; i < 10; i++) state.recordConnectFailure("refused");

      assert.equal(state.health, "healthy");
    });
  });

  it("takes no sessions while draining", () => {
    const { state } = backend();
    state.draining = true;

    assert.equal(state.eligible, false);
    assert.equal(state.view().draining, true);
  });
});
