import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import {
  ConfigError,
  type ConfigProblem,
  parseConfig,
} from "../../src/config/index.js";
import {
  ControlError,
  type ControlErrorCode,
  type GatewayControl,
} from "../../src/gateway/index.js";
import { startGateway } from "../support/gateway.js";
import {
  onDemandSource,
  startRig,
  subscribeFrame,
  TRADE_CODEC,
  TRADES_RULE,
  unsubscribeFrame,
} from "../support/on-demand-rig.js";
import { RecordingUpstream } from "../support/recording-upstream.js";
import { TestUpstream } from "../support/upstream.js";
import { waitFor } from "../support/wait-for.js";

const ETH = "trades.ETH-USD";
const BTC = "trades.BTC-USD";
const SOL = "trades.SOL-USD";

const subscribeText = (symbol: string) =>
  JSON.stringify(subscribeFrame(symbol));

/** `vendor-a`'s upstream topics as `topic state subscribers standing`. */
function states(control: GatewayControl): string[] {
  const [view] = control.listUpstreamSubscriptions("vendor-a");
  return (view?.subscriptions ?? []).map(
    (s) =>
      `${s.topic} ${s.state} ${s.subscribers}${s.standing ? " standing" : ""}`,
  );
}

/** Runs `action`, which must fail with ControlError `code`. */
async function refusal(
  action: () => unknown,
  code: ControlErrorCode,
): Promise<ControlError> {
  try {
    await action();
  } catch (err) {
    assert.ok(err instanceof ControlError, String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

describe("listUpstreamSubscriptions", () => {
  it("shows each topic's state, subscribers and ages", async (t) => {
    const startedAt = Date.now();
    const rig = await startRig(t, {
      onDemand: {
        lingerMs: 10_000,
        rejection: { match: { "/type": "error" }, topic: "trades.{/symbol}" },
      },
    });
    rig.upstream.responder = (text, reply) => {
      if (text === subscribeText("BAD-SYM")) {
        reply({ type: "error", symbol: "BAD-SYM" });
      }
    };
    const control = rig.gw.gateway.control;
    const first = await rig.client();
    const second = await rig.client();
    await first.subscribe([ETH, SOL, "trades.BAD-SYM"]);
    await second.subscribe([ETH]);
    await first.request({ type: "unsubscribe", topics: [SOL] });
    await waitFor("the rejection", () =>
      states(control).includes("trades.BAD-SYM rejected 1"),
    );

    const views = control.listUpstreamSubscriptions();
    assert.deepEqual(views, control.listUpstreamSubscriptions("vendor-a"));
    const [view] = views;
    assert.equal(view?.source, "vendor-a");
    assert.equal(view?.lingerMs, 10_000);
    assert.equal(view?.limit, undefined);
    assert.deepEqual(states(control), [
      "trades.BAD-SYM rejected 1",
      "trades.ETH-USD subscribed 2",
      "trades.SOL-USD lingering 0",
    ]);
    const now = Date.now();
    for (const entry of view?.subscriptions ?? []) {
      assert.ok(entry.createdAt >= startedAt && entry.createdAt <= now);
      assert.ok(entry.since >= entry.createdAt && entry.since <= now);
    }
    const bad = view?.subscriptions.find((s) => s.topic === "trades.BAD-SYM");
    // Without `reason` the whole frame is the reason.
    assert.equal(bad?.reason, '{"type":"error","symbol":"BAD-SYM"}');
  });
});

describe("standing upstream subscriptions", () => {
  it("subscribes with no client, survives a restart, lingers when removed", async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), "tributary-on-demand-"));
    const upstream = await new RecordingUpstream().start();
    t.after(async () => {
      await upstream.stop();
      await rm(dataDir, { recursive: true, force: true });
    });
    const lingerMs = 200;
    const config = {
      sources: [
        onDemandSource("vendor-a", upstream.url, { lingerMs, standing: [BTC] }),
      ],
    };
    const start = async () => {
      const gw = await startGateway(config, { dataDir });
      t.after(() => gw.stop());
      return gw;
    };

    const first = await start();
    await waitFor("the config's standing topic", () =>
      upstream.texts(1).includes(subscribeText("BTC-USD")),
    );
    const added = await first.gateway.control.addStandingSubscription(
      "vendor-a",
      SOL,
    );
    const sol = added.subscriptions.find((s) => s.topic === SOL);
    assert.deepEqual([sol?.standing, sol?.subscribers], [true, 0]);
    await waitFor("the added standing topic", () =>
      upstream.texts(1).includes(subscribeText("SOL-USD")),
    );
    await first.stop();

    const second = await start();
    await waitFor(
      "the standing topics again",
      () => upstream.texts(2).length >= 2,
    );
    await upstream.flush();
    assert.deepEqual(upstream.texts(2), [
      subscribeText("BTC-USD"),
      subscribeText("SOL-USD"),
    ]);
    const control = second.gateway.control;
    await waitFor("both subscribed", () =>
      states(control).every((s) => s.includes(" subscribed ")),
    );
    assert.deepEqual(states(control), [
      "trades.BTC-USD subscribed 0 standing",
      "trades.SOL-USD subscribed 0 standing",
    ]);

    const removedAt = Date.now();
    await control.removeStandingSubscription("vendor-a", SOL);
    assert.deepEqual(states(control), [
      "trades.BTC-USD subscribed 0 standing",
      "trades.SOL-USD lingering 0",
    ]);
    const unsubscribe = JSON.stringify(unsubscribeFrame("SOL-USD"));
    await waitFor("the unsubscribe", () => upstream.count(unsubscribe) > 0);
    const at = upstream.find(unsubscribe)?.at ?? 0;
    assert.ok(at - removedAt >= lingerMs - 5, `after ${at - removedAt} ms`);
    await second.stop();

    const third = await start();
    await waitFor("the third connection", () => upstream.texts(3).length > 0);
    await upstream.flush();
    assert.deepEqual(upstream.texts(3), [subscribeText("BTC-USD")]);
    await third.stop();
  });

  it("keeps a removed standing topic while a client holds it", async (t) => {
    const rig = await startRig(t, { onDemand: { lingerMs: 0 } });
    const control = rig.gw.gateway.control;
    await control.addStandingSubscription("vendor-a", ETH);
    const client = await rig.client();
    await client.subscribe([ETH]);

    await control.removeStandingSubscription("vendor-a", ETH);
    await rig.upstream.flush();
    assert.deepEqual(states(control), ["trades.ETH-USD subscribed 1"]);
    assert.deepEqual(rig.upstream.texts(), [subscribeText("ETH-USD")]);

    await client.request({ type: "unsubscribe", topics: [ETH] });
    await waitFor(
      "the unsubscribe",
      () => rig.upstream.count(unsubscribeFrame("ETH-USD")) > 0,
    );
  });

  it("refuses bad standing requests with the right codes", async (t) => {
    const control = await errorRig(t);

    await refusal(
      () => control.addStandingSubscription("nope", ETH),
      "NOT_FOUND",
    );
    await refusal(
      () => control.addStandingSubscription("plain", ETH),
      "FAILED_PRECONDITION",
    );
    for (const topic of ["news.ETH-USD", "trades..x", "trades.*"]) {
      const error = await refusal(
        () => control.addStandingSubscription("vendor-a", topic),
        "INVALID_ARGUMENT",
      );
      assert.equal(error.problems[0]?.field, "topic", topic);
    }
    await refusal(
      () => control.addStandingSubscription("vendor-a", BTC),
      "ALREADY_EXISTS",
    );
    await control.addStandingSubscription("vendor-a", ETH);
    await refusal(
      () => control.addStandingSubscription("vendor-a", SOL),
      "RESOURCE_EXHAUSTED",
    );

    await refusal(
      () => control.removeStandingSubscription("vendor-a", SOL),
      "NOT_FOUND",
    );
    await refusal(
      () => control.removeStandingSubscription("nope", ETH),
      "NOT_FOUND",
    );
    await refusal(
      () => control.removeStandingSubscription("plain", ETH),
      "FAILED_PRECONDITION",
    );
    await refusal(() => control.listUpstreamSubscriptions("nope"), "NOT_FOUND");
    await refusal(
      () => control.listUpstreamSubscriptions("plain"),
      "FAILED_PRECONDITION",
    );
    assert.deepEqual(states(control), [
      "trades.BTC-USD subscribed 0 standing",
      "trades.ETH-USD subscribed 0 standing",
    ]);
  });
});

/**
 * A gateway with `vendor-a` (on demand, limit 2, `trades.BTC-USD`
 * standing) and `plain` (no onDemand rules); its control plane.
 */
async function errorRig(t: TestContext): Promise<GatewayControl> {
  const feed = await new RecordingUpstream().start();
  const plain = await new TestUpstream().start();
  const gw = await startGateway({
    sources: [
      onDemandSource("vendor-a", feed.url, {
        maxSubscriptions: 2,
        standing: [BTC],
      }),
      { id: "plain", url: plain.url, codec: TRADE_CODEC },
    ],
  });
  t.after(async () => {
    await gw.stop();
    await feed.stop();
    await plain.stop();
  });
  const control = gw.gateway.control;
  await waitFor("the standing topic", () =>
    states(control).includes("trades.BTC-USD subscribed 0 standing"),
  );
  return control;
}

describe("upstream-subscription events", () => {
  /** `change topic` of every upstream-subscription event from now on. */
  const watch = (t: TestContext, control: GatewayControl): string[] => {
    const seen: string[] = [];
    const subscription = control.events.subscribe((event) => {
      if (event.type !== "upstream-subscription") return;
      seen.push(`${event.change} ${event.topic}`);
    });
    t.after(() => subscription.unsubscribe());
    return seen;
  };

  it("reports the subscribe and the unsubscribe of a topic", async (t) => {
    const rig = await startRig(t, { onDemand: { lingerMs: 0 } });
    const seen = watch(t, rig.gw.gateway.control);
    const client = await rig.client();

    await client.subscribe([ETH]);
    await client.request({ type: "unsubscribe", topics: [ETH] });

    await waitFor("both events", () => seen.length === 2);
    assert.deepEqual(seen, [`subscribed ${ETH}`, `unsubscribed ${ETH}`]);
  });

  it("reports the subscribe of a topic wanted while the feed was down", async (t) => {
    const rig = await startRig(t, { onDemand: { lingerMs: 0 } });
    const control = rig.gw.gateway.control;
    const seen = watch(t, control);
    const port = Number(new URL(rig.upstream.url).port);
    await rig.upstream.stop();
    await waitFor("the source to go down", () => {
      return control.getSource("vendor-a").health.state === "down";
    });
    const client = await rig.client();
    await client.subscribe([ETH]);

    const back = await new RecordingUpstream().start(port);
    t.after(() => back.stop());
    await waitFor("the subscribe frame", () => back.received.length > 0);
    await client.request({ type: "unsubscribe", topics: [ETH] });
    await waitFor("the unsubscribe event", () =>
      seen.includes(`unsubscribed ${ETH}`),
    );

    // The feed got the subscribe frame, so a watcher must hear of it.
    assert.deepEqual(seen, [`subscribed ${ETH}`, `unsubscribed ${ETH}`]);
  });
});

describe("onDemand config validation", () => {
  const problemsOf = (onDemand: Record<string, unknown>): ConfigProblem[] => {
    const source = {
      id: "vendor-a",
      url: "ws://127.0.0.1:1/feed",
      codec: TRADE_CODEC,
      onDemand,
    };
    try {
      parseConfig({ sources: [source] });
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return [...err.problems];
    }
    return [];
  };
  const paths = (problems: ConfigProblem[]) => problems.map((p) => p.path);

  it("rejects a placeholder the rule's topics may not have", () => {
    const rule = { ...TRADES_RULE, subscribe: { op: "sub", venue: "{3}" } };
    const problems = problemsOf({ rules: [rule] });

    assert.deepEqual(paths(problems), [
      "sources[0].onDemand.rules[0].subscribe",
    ]);
    assert.match(problems[0]?.message ?? "", /\{3\}/);
    const bad = { ...TRADES_RULE, unsubscribe: "unsub {topic} {3}" };
    assert.deepEqual(paths(problemsOf({ rules: [TRADES_RULE, bad] })), [
      "sources[0].onDemand.rules[1].unsubscribe",
    ]);
  });

  it("rejects a standing topic that no rule covers", () => {
    const problems = problemsOf({
      rules: [TRADES_RULE],
      standing: [BTC, "news.BTC-USD"],
    });

    assert.deepEqual(paths(problems), ["sources[0].onDemand.standing[1]"]);
    assert.match(problems[0]?.message ?? "", /news\.BTC-USD/);
  });

  it("rejects more standing topics than maxSubscriptions", () => {
    const problems = problemsOf({
      rules: [TRADES_RULE],
      maxSubscriptions: 1,
      standing: [BTC, ETH],
    });

    assert.deepEqual(paths(problems), ["sources[0].onDemand.standing"]);
  });

  it("accepts placeholders every matching topic has", () => {
    const rule = {
      topics: "book.*.>",
      subscribe: { op: "sub", topic: "{topic}", venue: "{2}", depth: "{3}" },
    };
    assert.deepEqual(
      problemsOf({ rules: [rule], standing: ["book.X.10"] }),
      [],
    );
  });
});
