import type { Logger } from "pino";
import type {
  Recipient,
  SubscribeOutcome,
  SubscriptionDemand,
  SubscriptionProblem,
} from "../serve/index.js";
import type { UpstreamSubscriptions } from "../sources/index.js";
import { isWildcardPattern, matchesPattern } from "../topics/index.js";

const HELD: SubscribeOutcome = { held: true };

/**
 * Turns what subscribers hold into upstream demand. It counts, per exact
 * topic, the sessions holding it, and gives every source whose on-demand
 * rules cover the topic that count, so the first subscriber subscribes
 * each of them (every member of a group, keeping the standby hot) and the
 * last one to leave starts their lingers.
 *
 * A wildcard is never translated: it is served from what is flowing
 * already, and the `subscribed` reply lists those topics.
 *
 * A topic is refused (not held) only when every source covering it is at
 * its limit; when some are and others are not, it flows from the others
 * and the full ones report `limit-reached`. A full member is tried again
 * at the topic's next subscriber.
 */
export class UpstreamDemand implements SubscriptionDemand {
  readonly #sources: () => Iterable<UpstreamSubscriptions>;
  readonly #log: Logger;
  /** Sessions holding each exact pattern, whatever sources exist now. */
  readonly #holders = new Map<string, Set<Recipient>>();

  /**
   * @param sources the on-demand subscriptions of every source now
   * running, asked afresh each time, since sources come and go.
   */
  constructor(sources: () => Iterable<UpstreamSubscriptions>, logger: Logger) {
    this.#sources = sources;
    this.#log = logger;
  }

  acquire(pattern: string, recipient: Recipient): SubscribeOutcome {
    if (isWildcardPattern(pattern)) return HELD;
    let holders = this.#holders.get(pattern);
    if (holders === undefined) {
      holders = new Set();
      this.#holders.set(pattern, holders);
    }
    holders.add(recipient);

    const covering = this.#covering(pattern);
    if (covering.length === 0) return HELD;
    let taken = 0;
    const limited: UpstreamSubscriptions[] = [];
    const rejections: string[] = [];
    for (const upstream of covering) {
      const result = upstream.hold(pattern, holders.size);
      if (result.ok) {
        taken++;
      } else if (result.refusal === "limit") {
        limited.push(upstream);
      } else {
        rejections.push(`${upstream.source}: ${result.reason}`);
      }
    }
    if (taken > 0) return HELD;
    if (rejections.length > 0) {
      // Kept, as for the subscribers who held it when the rejection came.
      return { held: true, problem: rejected(pattern, rejections) };
    }
    // Every covering source is full: the topic is refused and forgotten.
    this.#drop(pattern, recipient);
    const names = limited.map((u) => `${u.source} (${u.limit})`).join(", ");
    return {
      held: false,
      problem: {
        topic: pattern,
        code: "UPSTREAM_LIMIT",
        message:
          `${pattern} is not subscribed upstream: every source serving it ` +
          `is at its subscription limit: ${names}`,
      },
    };
  }

  release(pattern: string, recipient: Recipient): void {
    if (isWildcardPattern(pattern)) return;
    const count = this.#drop(pattern, recipient);
    for (const upstream of this.#covering(pattern)) {
      // A source that never took the topic (it was full) has nothing to
      // release; asking it would try to subscribe at a leave.
      if (upstream.stateOf(pattern) === undefined) continue;
      upstream.hold(pattern, count);
    }
  }

  liveTopics(patterns: readonly string[]): string[] | undefined {
    const wildcards = patterns.filter(isWildcardPattern);
    if (wildcards.length === 0) return undefined;
    let overlapping = false;
    const live = new Set<string>();
    for (const upstream of this.#sources()) {
      if (!wildcards.some((w) => upstream.rules.overlaps(w))) continue;
      overlapping = true;
      for (const topic of upstream.liveTopics()) {
        if (wildcards.some((w) => matchesPattern(w, topic))) live.add(topic);
      }
    }
    return overlapping ? [...live].sort() : undefined;
  }

  /**
   * Brings a source that just started (or was replaced) up to date with
   * the topics subscribers hold now.
   */
  sourceReady(upstream: UpstreamSubscriptions): void {
    let refused = 0;
    for (const [topic, holders] of this.#holders) {
      if (!upstream.rules.covers(topic)) continue;
      const result = upstream.hold(topic, holders.size);
      if (result.ok || result.refusal !== "limit") continue;
      refused++;
      // Sessions already hold the topic; if no other source carries it,
      // they must hear that it will not flow.
      if (this.#carriedElsewhere(upstream.source, topic)) continue;
      const problem: SubscriptionProblem = {
        topic,
        code: "UPSTREAM_LIMIT",
        message: `${topic} is not subscribed upstream: ${result.reason}`,
      };
      for (const recipient of holders) recipient.deliverProblem(problem);
    }
    if (refused > 0) {
      this.#log.warn(
        { source: upstream.source, refused },
        "source could not take every topic subscribers hold",
      );
    }
  }

  /**
   * Tells the sessions on `topic` that `source` rejected it, unless
   * another source still carries it.
   */
  rejected(source: string, topic: string, reason: string): void {
    if (this.#carriedElsewhere(source, topic)) return;
    const problem = rejected(topic, [`${source}: ${reason}`]);
    for (const recipient of this.#holders.get(topic) ?? []) {
      recipient.deliverProblem(problem);
    }
  }

  /** Sessions holding `topic` as an exact pattern. */
  subscribers(topic: string): number {
    return this.#holders.get(topic)?.size ?? 0;
  }

  /** True when a source other than `source` has `topic` and no refusal. */
  #carriedElsewhere(source: string, topic: string): boolean {
    return this.#covering(topic).some((u) => {
      const state = u.stateOf(topic);
      return u.source !== source && state !== undefined && state !== "rejected";
    });
  }

  #covering(topic: string): UpstreamSubscriptions[] {
    const covering: UpstreamSubscriptions[] = [];
    for (const upstream of this.#sources()) {
      if (upstream.rules.covers(topic)) covering.push(upstream);
    }
    return covering;
  }

  /** Forgets one holder; returns how many are left. */
  #drop(pattern: string, recipient: Recipient): number {
    const holders = this.#holders.get(pattern);
    if (holders === undefined) return 0;
    holders.delete(recipient);
    if (holders.size === 0) this.#holders.delete(pattern);
    return holders.size;
  }
}

function rejected(
  topic: string,
  reasons: readonly string[],
): SubscriptionProblem {
  return {
    topic,
    code: "UPSTREAM_REJECTED",
    message: `the upstream rejected ${topic}: ${reasons.join("; ")}`,
  };
}
