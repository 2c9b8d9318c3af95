import type { Logger } from "pino";
import type { RawFrame } from "../envelope/index.js";
import {
  compileRejection,
  type DemandFrames,
  type DemandRuleSpec,
  DemandRules,
  type Rejection,
  type RejectionSpec,
} from "./demand-rules.js";

/** A source's `onDemand` settings, defaults filled in. */
export interface OnDemandSettings {
  readonly rules: readonly DemandRuleSpec[];
  readonly lingerMs: number;
  readonly maxSubscriptions?: number;
  readonly standing: readonly string[];
  readonly rejection?: RejectionSpec;
}

/**
 * Where one upstream subscription stands: wanted but not sent yet
 * (`pending`, until the source connects), sent on the current connection
 * (`subscribed`), without subscribers until its linger ends (`lingering`),
 * or refused by the upstream (`rejected`).
 */
export type UpstreamState = "pending" | "subscribed" | "lingering" | "rejected";

/** One topic as {@link UpstreamSubscriptions.list} shows it. */
export interface UpstreamEntry {
  readonly topic: string;
  readonly state: UpstreamState;
  readonly subscribers: number;
  readonly standing: boolean;
  readonly createdAt: number;
  readonly since: number;
  readonly reason?: string;
}

/** What became of a topic a caller wants. */
export type HoldResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** `limit`: nothing was kept; `rejected`: kept, but refused upstream. */
      readonly refusal: "limit" | "rejected";
      readonly reason: string;
    };

/** Something that happened to an upstream subscription. */
export interface UpstreamChangeEvent {
  readonly topic: string;
  readonly change: "subscribed" | "unsubscribed" | "rejected" | "limit-reached";
  readonly reason?: string;
}

/** Options of {@link UpstreamSubscriptions}. */
export interface UpstreamSubscriptionsOptions {
  readonly source: string;
  readonly logger: Logger;
  /** Sends a frame on the current connection; false when there is none. */
  readonly send: (frame: string) => boolean;
  /** Told of every subscribe, unsubscribe, rejection and refusal. */
  readonly onChange: (event: UpstreamChangeEvent) => void;
  readonly now?: () => number;
}

const OK: HoldResult = { ok: true };

interface Entry {
  readonly topic: string;
  readonly frames: DemandFrames;
  state: UpstreamState;
  subscribers: number;
  standing: boolean;
  readonly createdAt: number;
  since: number;
  reason: string | undefined;
  linger: NodeJS.Timeout | undefined;
}

/**
 * The upstream subscriptions of one source: which topics it has asked the
 * upstream for, and why. A topic is subscribed when it first has a holder
 * (a subscriber or a standing entry), sent again after every reconnect
 * while it has one, and unsubscribed `lingerMs` after its last holder
 * left. Past `maxSubscriptions` a new topic is refused, after giving up
 * the oldest lingering topic if there is one. Callers tell it how many
 * subscribers a topic has; it knows nothing of sessions.
 */
export class UpstreamSubscriptions {
  readonly source: string;
  readonly rules: DemandRules;
  readonly lingerMs: number;
  readonly limit: number | undefined;

  readonly #options: UpstreamSubscriptionsOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #rejection: ((frame: Buffer) => Rejection | undefined) | undefined;
  /** In the order topics were first wanted, which reconnects keep. */
  readonly #entries = new Map<string, Entry>();
  /** Between connected() and disconnected(). */
  #connected = false;
  #closed = false;

  constructor(
    settings: OnDemandSettings,
    options: UpstreamSubscriptionsOptions,
  ) {
    this.source = options.source;
    this.rules = new DemandRules(settings.rules);
    this.lingerMs = settings.lingerMs;
    this.limit = settings.maxSubscriptions;
    this.#options = options;
    this.#log = options.logger.child({ source: options.source });
    this.#now = options.now ?? Date.now;
    this.#rejection =
      settings.rejection === undefined
        ? undefined
        : compileRejection(settings.rejection);
    for (const topic of settings.standing) this.setStanding(topic, true);
  }

  /** True when this source reads rejections from its frames. */
  get readsRejections(): boolean {
    return this.#rejection !== undefined;
  }

  /**
   * Sets how many subscribers want the covered `topic`. From none to some
   * it subscribes (or, past the limit, refuses and keeps nothing); from
   * some to none it starts the linger.
   */
  hold(topic: string, subscribers: number): HoldResult {
    return this.#want(topic, subscribers > 0, (entry) => {
      entry.subscribers = subscribers;
    });
  }

  /**
   * Makes a covered topic standing, or not. A standing topic is held with
   * no subscriber; one that stops being standing lingers like any other.
   */
  setStanding(topic: string, standing: boolean): HoldResult {
    return this.#want(topic, standing, (entry) => {
      entry.standing = standing;
    });
  }

  /** Applies a change of holders to a topic: adds, revives or releases. */
  #want(
    topic: string,
    wanted: boolean,
    apply: (entry: Entry) => void,
  ): HoldResult {
    const entry = this.#entries.get(topic);
    if (!wanted) {
      if (entry !== undefined) {
        apply(entry);
        this.#released(entry);
      }
      return OK;
    }
    if (entry === undefined) {
      const added = this.#add(topic);
      if (!added.ok) return added;
      apply(added.entry);
      return OK;
    }
    apply(entry);
    return this.#revive(entry);
  }

  /** Where `topic` stands here; undefined when it is not held. */
  stateOf(topic: string): UpstreamState | undefined {
    return this.#entries.get(topic)?.state;
  }

  /** True when `topic` is standing here. */
  isStanding(topic: string): boolean {
    return this.#entries.get(topic)?.standing === true;
  }

  /** True when another topic would be refused for the limit. */
  get full(): boolean {
    return this.limit !== undefined && this.#occupied() >= this.limit;
  }

  /**
   * The frames to send on a connection that just opened, after the static
   * `subscribe` frames: every topic with a holder, in the order it was
   * first wanted. A lingering topic is let go instead: the new connection
   * never had it.
   */
  connected(): string[] {
    const frames: string[] = [];
    const now = this.#now();
    this.#connected = true;
    for (const entry of [...this.#entries.values()]) {
      // A standing topic has no subscriber whose leaving would clear a
      // rejection, so each new connection tries it again.
      if (entry.state === "rejected" && !entry.standing) continue;
      if (entry.state === "lingering") {
        this.#forget(entry, "no subscriber at reconnect");
        continue;
      }
      frames.push(entry.frames.subscribe);
      entry.state = "subscribed";
      entry.since = now;
      entry.reason = undefined;
      this.#options.onChange({ topic: entry.topic, change: "subscribed" });
    }
    if (frames.length > 0) {
      this.#log.info(
        { topics: frames.length },
        "sent on-demand upstream subscriptions",
      );
    }
    return frames;
  }

  /** The connection closed: nothing is subscribed until the next one. */
  disconnected(): void {
    this.#connected = false;
    const now = this.#now();
    for (const entry of this.#entries.values()) {
      if (entry.state !== "subscribed") continue;
      entry.state = "pending";
      entry.since = now;
    }
  }

  /**
   * Reads one upstream frame for a rejection. A rejected topic is not sent
   * again until every holder has left; its subscribers are told through
   * `onChange`.
   */
  inspect(frame: RawFrame): void {
    if (this.#rejection === undefined || frame.isBinary) return;
    const rejection = this.#rejection(frame.data);
    if (rejection === undefined) return;
    const entry = this.#entries.get(rejection.topic);
    if (entry === undefined || entry.state === "rejected") {
      this.#log.warn(
        { topic: rejection.topic, reason: rejection.reason },
        "upstream rejected a topic the gateway does not hold",
      );
      return;
    }
    clearTimeout(entry.linger);
    entry.linger = undefined;
    entry.state = "rejected";
    entry.since = this.#now();
    entry.reason = rejection.reason;
    this.#log.warn(
      { topic: entry.topic, reason: rejection.reason },
      "upstream rejected a subscription",
    );
    this.#options.onChange({
      topic: entry.topic,
      change: "rejected",
      reason: rejection.reason,
    });
    if (entry.subscribers === 0 && !entry.standing)
      this.#entries.delete(entry.topic);
  }

  /** Every topic held, sorted. */
  list(): UpstreamEntry[] {
    return [...this.#entries.values()]
      .map(({ frames: _frames, linger: _linger, reason, ...shown }) => ({
        ...shown,
        ...(reason === undefined ? {} : { reason }),
      }))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  }

  /** Topics whose data flows or soon will: every state but `rejected`. */
  *liveTopics(): Generator<string> {
    for (const entry of this.#entries.values()) {
      if (entry.state !== "rejected") yield entry.topic;
    }
  }

  /** Cancels the lingers; nothing is sent. The source is going away. */
  close(): void {
    this.#closed = true;
    for (const entry of this.#entries.values()) clearTimeout(entry.linger);
  }

  #add(
    topic: string,
  ): { ok: true; entry: Entry } | (HoldResult & { ok: false }) {
    const frames = this.rules.framesFor(topic);
    if (frames === undefined) {
      throw new Error(`source ${this.source} has no rule for "${topic}"`);
    }
    if (this.full) this.#evictLingering();
    if (this.full) {
      const reason =
        `source ${this.source} is at its limit of ${this.limit} upstream ` +
        `subscriptions`;
      this.#log.warn(
        { topic, limit: this.limit },
        "upstream subscription limit reached",
      );
      this.#options.onChange({ topic, change: "limit-reached", reason });
      return { ok: false, refusal: "limit", reason };
    }
    const now = this.#now();
    const entry: Entry = {
      topic,
      frames,
      state: "pending",
      subscribers: 0,
      standing: false,
      createdAt: now,
      since: now,
      reason: undefined,
      linger: undefined,
    };
    this.#entries.set(topic, entry);
    this.#subscribe(entry);
    return { ok: true, entry };
  }

  /** A topic with a holder again: back from its linger, if it was in one. */
  #revive(entry: Entry): HoldResult {
    if (entry.state === "rejected") {
      return { ok: false, refusal: "rejected", reason: entry.reason ?? "" };
    }
    if (entry.state === "lingering") {
      clearTimeout(entry.linger);
      entry.linger = undefined;
      // Still subscribed upstream, unless the link dropped meanwhile.
      entry.state = this.#connected ? "subscribed" : "pending";
      entry.since = this.#now();
    }
    return OK;
  }

  /** A holder left; with none left, the topic lingers or goes. */
  #released(entry: Entry): void {
    if (entry.subscribers > 0 || entry.standing) return;
    if (entry.state === "lingering") return;
    if (entry.state === "rejected") {
      this.#entries.delete(entry.topic);
      return;
    }
    if (entry.state === "pending" || this.lingerMs === 0) {
      // Never sent on this connection, or no linger: nothing to wait for.
      this.#unsubscribe(entry, "no subscriber left");
      return;
    }
    entry.state = "lingering";
    entry.since = this.#now();
    entry.linger = setTimeout(() => {
      entry.linger = undefined;
      this.#unsubscribe(entry, `no subscriber for ${this.lingerMs} ms`);
    }, this.lingerMs);
    entry.linger.unref();
  }

  #subscribe(entry: Entry): void {
    if (!this.#options.send(entry.frames.subscribe)) return;
    this.#connected = true;
    entry.state = "subscribed";
    entry.since = this.#now();
    this.#options.onChange({ topic: entry.topic, change: "subscribed" });
  }

  #unsubscribe(entry: Entry, reason: string): void {
    if (this.#closed) return;
    const wasSent = entry.state === "subscribed" || entry.state === "lingering";
    const frame = entry.frames.unsubscribe;
    if (wasSent && frame !== undefined) this.#options.send(frame);
    this.#forget(entry, wasSent ? reason : undefined);
  }

  /** Drops the entry; with a reason, reports it as unsubscribed. */
  #forget(entry: Entry, reason: string | undefined): void {
    clearTimeout(entry.linger);
    entry.linger = undefined;
    this.#entries.delete(entry.topic);
    if (reason === undefined) return;
    this.#options.onChange({
      topic: entry.topic,
      change: "unsubscribed",
      reason,
    });
  }

  /** Gives up the topic that has lingered longest, to make room. */
  #evictLingering(): void {
    let oldest: Entry | undefined;
    for (const entry of this.#entries.values()) {
      if (entry.state !== "lingering") continue;
      if (oldest === undefined || entry.since < oldest.since) oldest = entry;
    }
    if (oldest !== undefined) {
      this.#unsubscribe(oldest, "lingering topic gave way at the limit");
    }
  }

  /** Topics that take a slot upstream: all but the rejected ones. */
  #occupied(): number {
    let count = 0;
    for (const entry of this.#entries.values()) {
      if (entry.state !== "rejected") count++;
    }
    return count;
  }
}
