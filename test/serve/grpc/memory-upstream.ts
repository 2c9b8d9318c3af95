import type { Subject } from "rxjs";
import {
  ControlError,
  type GatewayEvent,
  type SourceUpstreamView,
  type UpstreamSubscriptionView,
} from "../../../src/gateway/index.js";
import {
  matchesPattern,
  TopicError,
  validateTopic,
} from "../../../src/topics/index.js";

/** A source with `onDemand` rules, as a test sets it up. */
export interface MemoryOnDemandSource {
  /** The one topic pattern its rules accept. */
  readonly rule: string;
  readonly limit?: number;
  readonly lingerMs: number;
  readonly subscriptions?: readonly UpstreamSubscriptionView[];
}

interface OnDemandState {
  readonly rule: string;
  readonly limit?: number;
  readonly lingerMs: number;
  subscriptions: UpstreamSubscriptionView[];
}

/**
 * The upstream subscriptions of MemoryControl: our own interface, kept
 * in memory just far enough to check the gRPC mapping and its refusals.
 * It sends no frame; a standing topic it adds is `subscribed` at once.
 */
export class MemoryUpstream {
  readonly #sources = new Map<string, OnDemandState>();
  readonly #isSource: (id: string) => boolean;
  readonly #events: Subject<GatewayEvent>;
  /** The time stamped on what it adds; tests may replace it. */
  now: () => number = () => Date.now();

  /**
   * `isSource` tells a source without `onDemand` (FAILED_PRECONDITION)
   * from no source at all (NOT_FOUND); changes are announced on `events`.
   */
  constructor(
    isSource: (id: string) => boolean,
    events: Subject<GatewayEvent>,
  ) {
    this.#isSource = isSource;
    this.#events = events;
  }

  /** Gives `id` on-demand rules, replacing any it had. */
  set(id: string, source: MemoryOnDemandSource): void {
    const subscriptions = [...(source.subscriptions ?? [])];
    this.#sources.set(id, { ...source, subscriptions });
  }

  list(source?: string): SourceUpstreamView[] {
    if (source !== undefined) return [this.#view(source, this.#get(source))];
    return [...this.#sources.keys()]
      .sort()
      .map((id) => this.#view(id, this.#get(id)));
  }

  add(source: string, topic: string): SourceUpstreamView {
    const state = this.#get(source);
    this.#checkTopic(source, state, topic);
    const held = state.subscriptions.find((s) => s.topic === topic);
    if (held?.standing) {
      throw new ControlError(
        "ALREADY_EXISTS",
        `${topic} is standing on source ${source} already`,
      );
    }
    if (held !== undefined) {
      this.#replace(state, { ...held, standing: true });
      return this.#view(source, state);
    }
    if (
      state.limit !== undefined &&
      state.subscriptions.length >= state.limit
    ) {
      throw new ControlError(
        "RESOURCE_EXHAUSTED",
        `source ${source} is at its limit of ${state.limit} subscriptions`,
      );
    }
    const at = this.now();
    const added: UpstreamSubscriptionView = {
      topic,
      state: "subscribed",
      subscribers: 0,
      standing: true,
      createdAt: at,
      since: at,
    };
    state.subscriptions = [...state.subscriptions, added].sort((a, b) =>
      a.topic < b.topic ? -1 : 1,
    );
    const event = { source, topic, change: "subscribed", at } as const;
    this.#events.next({ type: "upstream-subscription", ...event });
    return this.#view(source, state);
  }

  remove(source: string, topic: string): SourceUpstreamView {
    const state = this.#get(source);
    const held = state.subscriptions.find((s) => s.topic === topic);
    if (held === undefined || !held.standing) {
      throw new ControlError(
        "NOT_FOUND",
        `${topic} is not standing on source ${source}`,
      );
    }
    const wanted = held.subscribers > 0;
    this.#replace(state, {
      ...held,
      standing: false,
      state: wanted ? held.state : "lingering",
      since: wanted ? held.since : this.now(),
    });
    return this.#view(source, state);
  }

  #get(id: string): OnDemandState {
    const state = this.#sources.get(id);
    if (state !== undefined) return state;
    if (this.#isSource(id)) {
      throw new ControlError(
        "FAILED_PRECONDITION",
        `source ${id} has no onDemand rules`,
      );
    }
    throw new ControlError("NOT_FOUND", `no source ${id}`);
  }

  #checkTopic(source: string, state: OnDemandState, topic: string): void {
    try {
      validateTopic(topic);
    } catch (err) {
      if (!(err instanceof TopicError)) throw err;
      throw ControlError.invalid([{ field: "topic", message: err.message }]);
    }
    if (!matchesPattern(state.rule, topic)) {
      throw ControlError.invalid([
        { field: "topic", message: `no onDemand rule of ${source} matches` },
      ]);
    }
  }

  #replace(state: OnDemandState, view: UpstreamSubscriptionView): void {
    state.subscriptions = state.subscriptions.map((s) =>
      s.topic === view.topic ? view : s,
    );
  }

  #view(source: string, state: OnDemandState): SourceUpstreamView {
    const { limit, lingerMs, subscriptions } = state;
    return { source, limit, lingerMs, subscriptions: [...subscriptions] };
  }
}
