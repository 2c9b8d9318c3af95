import type { Fanout, Recipient, SubscribeOutcome } from "./fanout.js";
import type { SlowConsumerPolicy } from "./session-queue.js";
import { SubscriptionPolicies } from "./subscription-policies.js";

/** Who placed a pattern: the client itself or the control plane. */
export type SubscriptionOrigin = "client" | "control";

const ALREADY_HELD: SubscribeOutcome = { held: true };

/**
 * The patterns one session holds in the fan-out index, who placed each,
 * and the slow-consumer policy of each. WebSocket and gRPC sessions both
 * hold their patterns through one, so taking and letting go of them, and
 * what a queued message's policy is, work the same on either transport.
 */
export class SessionSubscriptions {
  readonly patterns = new Set<string>();
  /** Who placed each of `patterns`; the first to place it keeps it. */
  readonly origins = new Map<string, SubscriptionOrigin>();
  readonly #fanout: Fanout;
  readonly #recipient: Recipient;
  readonly #defaultPolicy: SlowConsumerPolicy;
  /** Made when a pattern first gets a policy other than the default. */
  #policies: SubscriptionPolicies | undefined;

  constructor(
    fanout: Fanout,
    recipient: Recipient,
    defaultPolicy: SlowConsumerPolicy,
  ) {
    this.#fanout = fanout;
    this.#recipient = recipient;
    this.#defaultPolicy = defaultPolicy;
  }

  /**
   * Adds a checked pattern to the fan-out index unless it is held, noting
   * who placed it, and gives it `policy` when one is named (a held pattern
   * too). Returns what upstream demand said of it; a pattern it refused is
   * not held.
   */
  take(
    pattern: string,
    origin: SubscriptionOrigin,
    policy: SlowConsumerPolicy | undefined,
  ): SubscribeOutcome {
    let outcome = ALREADY_HELD;
    if (!this.patterns.has(pattern)) {
      outcome = this.#fanout.subscribe(pattern, this.#recipient);
      if (!outcome.held) return outcome;
      this.patterns.add(pattern);
      this.origins.set(pattern, origin);
    }
    if (policy !== undefined) this.#setPolicy(pattern, policy);
    return outcome;
  }

  /** Lets go of a pattern; false when it was not held. */
  release(pattern: string): boolean {
    if (!this.patterns.delete(pattern)) return false;
    this.origins.delete(pattern);
    this.#policies?.delete(pattern);
    this.#fanout.unsubscribe(pattern, this.#recipient);
    return true;
  }

  /**
   * Lets go of every pattern in the fan-out index, as the session ends.
   * `patterns` keeps what was held: the session's span is recorded after
   * this and lists them; nothing is delivered for them any more.
   */
  releaseAll(): void {
    for (const pattern of this.patterns) {
      this.#fanout.unsubscribe(pattern, this.#recipient);
    }
  }

  /** The slow-consumer policy of a held pattern. */
  policyOf(pattern: string): SlowConsumerPolicy {
    return this.#policies?.of(pattern) ?? this.#defaultPolicy;
  }

  /**
   * The policy of a queued message of `topic`, the strictest of the
   * patterns that match it; undefined when every pattern has the default.
   */
  policyOfTopic(topic: string): SlowConsumerPolicy | undefined {
    return this.#policies?.forTopic(topic, this.patterns);
  }

  /** True when a held pattern's policy is `disconnect`. */
  anyDisconnect(): boolean {
    return (
      this.#policies?.anyDisconnect(this.patterns) ??
      this.#defaultPolicy === "disconnect"
    );
  }

  #setPolicy(pattern: string, policy: SlowConsumerPolicy): void {
    if (this.#policies === undefined) {
      if (policy === this.#defaultPolicy) return;
      this.#policies = new SubscriptionPolicies(this.#defaultPolicy);
    }
    this.#policies.set(pattern, policy);
  }
}
