import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  healthConnecting,
  healthDown,
  healthPaused,
  healthStale,
  healthUp,
  isHealthy,
} from "../../src/sources/index.js";

describe("source health", () => {
  it("builds each state with its reason and since", () => {
    assert.deepEqual(healthConnecting("dialing", 1), {
      state: "connecting",
      reason: "dialing",
      since: 1,
    });
    assert.deepEqual(healthUp("connected", 2), {
      state: "up",
      reason: "connected",
      since: 2,
    });
    assert.equal(healthStale("quiet", 3).state, "stale");
    assert.equal(healthPaused("operator", 4).state, "paused");
  });

  it("puts the retry on a down state only when one is scheduled", () => {
    const retrying = healthDown("connect refused: ECONNREFUSED", 1_000, 250);
    const stopped = healthDown("stopped", 1_000);

    assert.equal(retrying.retryInMs, 250);
    assert.equal(retrying.nextRetryAt, 1_250);
    assert.deepEqual(stopped, {
      state: "down",
      reason: "stopped",
      since: 1_000,
    });
  });

  it("counts only up as healthy", () => {
    const states = [
      healthConnecting("", 0),
      healthUp("", 0),
      healthStale("", 0),
      healthDown("", 0, 10),
      healthPaused("", 0),
    ];

    assert.deepEqual(
      states.filter(isHealthy).map((h) => h.state),
      ["up"],
    );
  });
});
