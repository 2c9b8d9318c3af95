import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import type { SubscribeRequest } from "../../../src/gen/tributary/v1/stream.js";
import { type RunningGateway, startGateway } from "../../support/gateway.js";
import { waitFor } from "../../support/wait-for.js";
import { StreamSubscriber } from "./stream-test-client.js";

const READ_TOKEN = "read-token-0123456789";
const ADMIN_TOKEN = "admin-token-0123456789";

describe("StreamService.Subscribe refusals", () => {
  let gw: RunningGateway;
  const subscribers: StreamSubscriber[] = [];

  before(async () => {
    gw = await startGateway({
      limits: { maxSubscriptionsPerSession: 3 },
      auth: {
        control: {
          tokens: [
            { token: READ_TOKEN, role: "read", name: "reader" },
            { token: ADMIN_TOKEN, role: "admin" },
          ],
        },
      },
    });
  });
  afterEach(async () => {
    for (const s of subscribers.splice(0)) s.close();
    await waitFor("every session to end", () => {
      return gw.gateway.grpcStreams.sessions.size === 0;
    });
  });
  after(() => gw.stop());

  /** Subscribes with `request`, expecting a refusal; returns it. */
  async function refusal(request: Partial<SubscribeRequest>, token?: string) {
    const s = StreamSubscriber.open(gw.grpcAddress, request, {
      token: token ?? READ_TOKEN,
    });
    subscribers.push(s);
    const err = await s.failure();
    assert.equal(s.events.length, 0, "a refused call carries no event");
    return err;
  }

  const invalid: Array<[string, Partial<SubscribeRequest>, RegExp]> = [
    ["no pattern", { patterns: [] }, /^patterns: at least one pattern/],
    [
      "an empty token",
      { patterns: ["ok.a", "a..b"] },
      /^patterns\[1\]: invalid pattern "a\.\.b": empty token at position 2$/,
    ],
    [
      "> before the end",
      { patterns: ["a.>.b"] },
      /^patterns\[0\]: invalid pattern "a\.>\.b": ">" must be the last/,
    ],
    [
      "a resume key with a space",
      { patterns: [">"], resume: { "x y": { epoch: "e", seq: 1 } } },
      /^resume\["x y"\]: invalid topic "x y": invalid character " "/,
    ],
    [
      "a resume key that is a pattern",
      { patterns: [">"], resume: { "a.*": { epoch: "e", seq: 1 } } },
      /^resume\["a\.\*"\]: invalid topic "a\.\*": wildcard "\*"/,
    ],
    [
      "a resume point without an epoch",
      { patterns: [">"], resume: { "a.b": { epoch: "", seq: 1 } } },
      /^resume\["a\.b"\]\.epoch: must not be empty$/,
    ],
  ];
  for (const [what, request, details] of invalid) {
    it(`answers INVALID_ARGUMENT for ${what}`, async () => {
      const err = await refusal(request);

      assert.equal(err.code, status.INVALID_ARGUMENT, err.details);
      assert.match(err.details, details);
      assert.equal(gw.gateway.grpcStreams.sessions.size, 0);
    });
  }

  it("answers RESOURCE_EXHAUSTED for more patterns than the limit", async () => {
    const err = await refusal({ patterns: ["a", "b", "c", "d"] });

    assert.equal(err.code, status.RESOURCE_EXHAUSTED);
    assert.match(err.details, /^patterns: 4 patterns exceed the limit of 3/);
    assert.match(err.details, /limits\.maxSubscriptionsPerSession/);
    assert.equal(gw.gateway.fanout.index.match("a").length, 0);
  });

  it("counts a repeated pattern once against the limit", async () => {
    const s = await StreamSubscriber.subscribe(
      gw.grpcAddress,
      { patterns: ["a", "b", "c", "a", "b"] },
      { token: READ_TOKEN },
    );
    subscribers.push(s);

    const [session] = gw.gateway.grpcStreams.sessions.values();
    assert.deepEqual([...(session?.patterns ?? [])], ["a", "b", "c"]);
    assert.equal(session?.maxBatch, 64, "max_batch 0 means the default");
  });

  it("answers UNAUTHENTICATED without a token or with a wrong one", async () => {
    const s = StreamSubscriber.open(gw.grpcAddress, { patterns: ["a"] });
    subscribers.push(s);
    const missing = await s.failure();
    const wrong = await refusal(
      { patterns: ["a"] },
      "not-a-known-token-at-all",
    );

    assert.equal(missing.code, status.UNAUTHENTICATED);
    assert.match(missing.details, /missing bearer token/);
    assert.equal(wrong.code, status.UNAUTHENTICATED);
    assert.match(wrong.details, /unknown bearer token/);
  });

  it("lets a read token and an admin token subscribe", async () => {
    for (const token of [READ_TOKEN, ADMIN_TOKEN]) {
      const s = await StreamSubscriber.subscribe(
        gw.grpcAddress,
        { patterns: ["a.b"] },
        { token },
      );
      subscribers.push(s);
    }

    assert.equal(gw.gateway.grpcStreams.sessions.size, 2);
    assert.equal(gw.gateway.fanout.index.match("a.b").length, 2);
  });
});
