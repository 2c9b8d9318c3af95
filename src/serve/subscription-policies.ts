import { SlowConsumerPolicy as ProtoPolicy } from "../gen/tributary/v1/delivery.js";
import { matchesPattern } from "../topics/index.js";
import type { SlowConsumerPolicy } from "./session-queue.js";

/** The policies in the order a message several patterns match picks. */
const STRICTNESS: Readonly<Record<SlowConsumerPolicy, number>> = {
  disconnect: 2,
  "drop-oldest": 1,
  conflate: 0,
};

/**
 * Topics whose policy a session remembers before it forgets them all; a
 * session on a wide wildcard can see many topics, and recomputing one is
 * only a scan of its patterns.
 */
const MAX_CACHED_TOPICS = 4096;

/**
 * The slow-consumer policy of each pattern one session holds. A pattern
 * subscribed without a policy has the gateway's default. A message takes
 * the strictest policy of the patterns that match its topic: a client
 * that asked never to lose `trades.>` keeps that promise even where a
 * conflated `*.BTC-USD` overlaps it.
 *
 * Only a session with a pattern of its own policy pays for any of this,
 * and only for messages that have to wait in its queue.
 */
export class SubscriptionPolicies {
  readonly #defaultPolicy: SlowConsumerPolicy;
  /** Patterns given a policy of their own. */
  #chosen: Map<string, SlowConsumerPolicy> | undefined;
  #byTopic: Map<string, SlowConsumerPolicy> | undefined;

  constructor(defaultPolicy: SlowConsumerPolicy) {
    this.#defaultPolicy = defaultPolicy;
  }

  /** Gives `pattern` its own policy, or the default when undefined. */
  set(pattern: string, policy: SlowConsumerPolicy | undefined): void {
    this.#byTopic = undefined;
    if (policy === undefined || policy === this.#defaultPolicy) {
      this.#chosen?.delete(pattern);
      if (this.#chosen?.size === 0) this.#chosen = undefined;
      return;
    }
    this.#chosen ??= new Map();
    this.#chosen.set(pattern, policy);
  }

  /** Forgets a pattern the session let go of. */
  delete(pattern: string): void {
    this.set(pattern, undefined);
  }

  /** The policy of one held pattern. */
  of(pattern: string): SlowConsumerPolicy {
    return this.#chosen?.get(pattern) ?? this.#defaultPolicy;
  }

  /** The policy of a message of `topic`, given the patterns held. */
  forTopic(topic: string, patterns: Iterable<string>): SlowConsumerPolicy {
    const chosen = this.#chosen;
    if (chosen === undefined) return this.#defaultPolicy;
    const cached = this.#byTopic?.get(topic);
    if (cached !== undefined) return cached;

    let policy: SlowConsumerPolicy | undefined;
    for (const pattern of patterns) {
      if (!matchesPattern(pattern, topic)) continue;
      const own = chosen.get(pattern) ?? this.#defaultPolicy;
      if (policy === undefined || STRICTNESS[own] > STRICTNESS[policy]) {
        policy = own;
      }
    }
    policy ??= this.#defaultPolicy;
    if (
      this.#byTopic === undefined ||
      this.#byTopic.size >= MAX_CACHED_TOPICS
    ) {
      this.#byTopic = new Map();
    }
    this.#byTopic.set(topic, policy);
    return policy;
  }

  /**
   * True when one of `patterns` is `disconnect`: a stalled session that
   * holds one is closed, since those messages may not be dropped.
   */
  anyDisconnect(patterns: Iterable<string>): boolean {
    if (this.#chosen === undefined) return this.#defaultPolicy === "disconnect";
    for (const pattern of patterns) {
      if (this.of(pattern) === "disconnect") return true;
    }
    return false;
  }
}

const FROM_PROTO: ReadonlyMap<number, SlowConsumerPolicy> = new Map([
  [ProtoPolicy.SLOW_CONSUMER_POLICY_DROP_OLDEST, "drop-oldest"],
  [ProtoPolicy.SLOW_CONSUMER_POLICY_CONFLATE, "conflate"],
  [ProtoPolicy.SLOW_CONSUMER_POLICY_DISCONNECT, "disconnect"],
]);

const TO_PROTO: Readonly<Record<SlowConsumerPolicy, ProtoPolicy>> = {
  "drop-oldest": ProtoPolicy.SLOW_CONSUMER_POLICY_DROP_OLDEST,
  conflate: ProtoPolicy.SLOW_CONSUMER_POLICY_CONFLATE,
  disconnect: ProtoPolicy.SLOW_CONSUMER_POLICY_DISCONNECT,
};

/**
 * A policy as a protobuf request carries it: undefined for UNSPECIFIED,
 * null for a number this gateway does not know (an error to report).
 */
export function policyFromProto(
  value: number,
): SlowConsumerPolicy | undefined | null {
  if (value === ProtoPolicy.SLOW_CONSUMER_POLICY_UNSPECIFIED) return undefined;
  return FROM_PROTO.get(value) ?? null;
}

/** A policy as a protobuf response carries it. */
export function policyToProto(policy: SlowConsumerPolicy): ProtoPolicy {
  return TO_PROTO[policy];
}
