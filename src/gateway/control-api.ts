import type { Observable } from "rxjs";
import type { GroupConfig, SourceConfig } from "../config/index.js";
import type { PoolView } from "../proxy/index.js";
import type { SlowConsumerPolicy } from "../serve/index.js";
import type { SourceHealth, SourceState } from "../sources/index.js";

/**
 * What the control plane (gRPC ControlService, the CLI through it) may see
 * and change in a running gateway. Changes are applied whole or not at all
 * and persisted in the state file before the promise resolves.
 */
export interface GatewayControl {
  /**
   * Adds a source from a config-file-shaped object (`sources[]` entry) and
   * connects it. Throws ControlError INVALID_ARGUMENT (field path relative
   * to the source, like `codec.topic`) or ALREADY_EXISTS.
   */
  addSource(raw: unknown): Promise<SourceView>;
  /** Replaces a source's settings and reconnects it; NOT_FOUND. */
  updateSource(raw: unknown): Promise<SourceView>;
  /**
   * Removes a source; NOT_FOUND, or FAILED_PRECONDITION when it is the last
   * member of a group other than its own group of one.
   */
  removeSource(id: string): Promise<void>;
  /** NOT_FOUND when there is no such source. */
  getSource(id: string): SourceView;
  /** Every source, sorted by id. */
  listSources(): SourceView[];
  /** Disconnects and holds the source down, persisted; NOT_FOUND. */
  pauseSource(id: string): Promise<SourceView>;
  /** Reconnects a paused source; NOT_FOUND. */
  resumeSource(id: string): Promise<SourceView>;

  /**
   * Creates or replaces a group from a config-file-shaped object
   * (`groups[]` entry). INVALID_ARGUMENT (field path like `sources[1]`) for
   * an unknown member, FAILED_PRECONDITION for a member of another group.
   */
  setGroup(raw: unknown): Promise<GroupView>;
  /** Removes a group; its members become groups of one. NOT_FOUND. */
  removeGroup(id: string): Promise<void>;
  /** Every group, sorted by id (groups of one are not listed). */
  listGroups(): GroupView[];
  /**
   * Forces the active member of an active-standby group. NOT_FOUND,
   * INVALID_ARGUMENT (not a member, or not active-standby),
   * FAILED_PRECONDITION (the member is not healthy).
   */
  failover(group: string, source: string): GroupView;

  /** Topics matching `pattern` (all when absent), sorted; INVALID_ARGUMENT. */
  listTopics(pattern?: string): TopicView[];
  /** Every connected subscriber, sorted by id. */
  listClients(): ClientView[];
  /** Closes one client's session with `reason`; NOT_FOUND. */
  disconnectClient(id: string, reason: string): void;
  /**
   * Subscribes a connected client to `patterns` as if it had asked: a
   * WebSocket client gets the `subscribed` frame (empty id), a gRPC one
   * just starts receiving. Patterns it holds already keep their origin.
   * INVALID_ARGUMENT (field `patterns[i]`, or `patterns` when empty),
   * NOT_FOUND, RESOURCE_EXHAUSTED past the per-session limit.
   */
  subscribeClient(
    id: string,
    patterns: readonly string[],
    policy?: SlowConsumerPolicy,
  ): ClientView;
  /**
   * Removes `patterns` from a client, whoever placed them; patterns it
   * does not hold are not an error. A WebSocket client gets the
   * `unsubscribed` frame. INVALID_ARGUMENT as above, NOT_FOUND.
   */
  unsubscribeClient(id: string, patterns: readonly string[]): ClientView;
  /**
   * Every pattern some session holds, sorted, with the sessions on it.
   * With `pattern`, only the held patterns it matches token by token (a
   * wildcard in a held pattern is matched as a plain token); INVALID_ARGUMENT.
   */
  listSubscriptions(pattern?: string): SubscriptionView[];

  /**
   * The upstream subscriptions of every source with `onDemand` rules, or of
   * one: what the gateway has asked each upstream for, with how many
   * sessions want each topic. Sorted by source, then topic. NOT_FOUND for
   * an unknown source, FAILED_PRECONDITION for one without `onDemand`.
   */
  listUpstreamSubscriptions(source?: string): SourceUpstreamView[];
  /**
   * Makes `topic` a standing upstream subscription of `source`: subscribed
   * now and after every reconnect, even with no subscriber, and persisted
   * in the state file. NOT_FOUND (the source), FAILED_PRECONDITION (it has
   * no `onDemand` rules), INVALID_ARGUMENT (field `topic`: not a valid
   * topic, or no rule of the source matches it), ALREADY_EXISTS (standing
   * already), RESOURCE_EXHAUSTED (the source is at `maxSubscriptions`).
   */
  addStandingSubscription(
    source: string,
    topic: string,
  ): Promise<SourceUpstreamView>;
  /**
   * Ends a standing upstream subscription, persisted. With sessions still
   * on the topic it stays subscribed for them; otherwise it lingers and is
   * unsubscribed like any other. NOT_FOUND (the source, or the topic is not
   * standing there), FAILED_PRECONDITION (no `onDemand` rules).
   */
  removeStandingSubscription(
    source: string,
    topic: string,
  ): Promise<SourceUpstreamView>;

  /**
   * Adds a proxy pool from a config-file-shaped object (`pools[]` entry)
   * and serves its path at once. Not persisted: pools added here last
   * until restart. INVALID_ARGUMENT (field path relative to the pool, like
   * `backends[0].url`), ALREADY_EXISTS (the id, or another pool's path).
   */
  addPool(raw: unknown): Promise<PoolView>;
  /** Removes a pool, closing its sessions with 1001; NOT_FOUND. */
  removePool(id: string): Promise<void>;
  /**
   * Adds a backend (`pools[].backends[]` entry) to `pool`. INVALID_ARGUMENT
   * (field relative to the backend, like `url`), NOT_FOUND (the pool),
   * ALREADY_EXISTS (the backend id).
   */
  addBackend(pool: string, raw: unknown): Promise<PoolView>;
  /** Removes a backend; its sessions move or close with 1012. NOT_FOUND. */
  removeBackend(pool: string, id: string): Promise<void>;
  /**
   * Gives a backend no new sessions; with `move` its sessions move to
   * other backends now, else they end on their own. NOT_FOUND.
   */
  drainBackend(pool: string, id: string, move: boolean): Promise<PoolView>;
  /** Every proxy pool, in the order they were added. */
  listPools(): PoolView[];

  /** Everything that happens from the moment of subscription. Hot. */
  readonly events: Observable<GatewayEvent>;
}

/** Where a source or group came from. */
export type Origin = "config" | "control";

/** Counters of one source since it was added. */
export interface SourceCounters {
  readonly frames: number;
  readonly translated: number;
  readonly skipped: number;
  readonly failed: number;
  readonly connects: number;
  /** Frames per second over the last few seconds. */
  readonly frameRate: number;
}

export interface SourceView {
  readonly config: SourceConfig;
  /** `paused` while held down by pauseSource. */
  readonly health: SourceHealth;
  readonly counters: SourceCounters;
  /** The group it belongs to; its own id for a group of one. */
  readonly group: string;
  readonly origin: Origin;
}

export interface GroupMemberView {
  readonly id: string;
  readonly priority: number;
  readonly health: SourceHealth;
  readonly accepted: number;
  readonly duplicates: number;
}

export interface GroupView {
  readonly config: GroupConfig;
  readonly members: readonly GroupMemberView[];
  /** The active member of an active-standby group, when one is healthy. */
  readonly active?: string;
  readonly origin: Origin;
}

export interface TopicView {
  readonly topic: string;
  readonly seq: number;
  readonly epoch: string;
  readonly messages: number;
  readonly lastMessageAt: number;
  /** Messages per second over the last few seconds. */
  readonly messageRate: number;
  readonly subscribers: number;
  /** Lineage: the sources that have fed the topic, sorted. */
  readonly sources: readonly string[];
  readonly gaps: number;
}

export type Transport = "websocket" | "grpc";

export interface ClientView {
  readonly id: string;
  readonly transport: Transport;
  readonly remoteAddress: string;
  readonly subscriptions: readonly string[];
  readonly queueDepth: number;
  readonly sent: number;
  readonly dropped: number;
  /** Gap notices sent to it: missing upstream, expired history, its own drops. */
  readonly gaps: number;
  readonly connectedAt: number;
  /** The negotiated WebSocket subprotocol; "" for gRPC. */
  readonly protocol: string;
  /**
   * True while the client is stalled: a WebSocket client leaves a ping
   * unanswered past `stallTimeoutMs`, or a gRPC stream with responses
   * waiting takes none for that long. Nothing more is written to it and
   * its policies act at once.
   */
  readonly stalled: boolean;
  /** The slow-consumer policy of each of `subscriptions`. */
  readonly policies: Readonly<Record<string, SlowConsumerPolicy>>;
}

/** Who placed a client's pattern: the client itself or the control plane. */
export type SubscriptionOrigin = "client" | "control";

/** One session holding a pattern. */
export interface SubscriberView {
  readonly client: string;
  readonly transport: Transport;
  readonly origin: SubscriptionOrigin;
}

/** One pattern held by at least one session. */
export interface SubscriptionView {
  readonly pattern: string;
  /** Sorted by client id. */
  readonly sessions: readonly SubscriberView[];
}

/**
 * Where one upstream subscription stands: `pending` is wanted but not sent
 * yet (the source is not connected; it goes out on connect), `subscribed`
 * was sent on the current connection, `lingering` has no subscriber left
 * and is unsubscribed when `onDemand.lingerMs` has passed, `rejected` was
 * refused by the upstream (its reason in `reason`) and is not sent again
 * until every subscriber has left.
 */
export type UpstreamSubscriptionState =
  | "pending"
  | "subscribed"
  | "lingering"
  | "rejected";

/** One topic a source is (or is about to be) subscribed to upstream. */
export interface UpstreamSubscriptionView {
  readonly topic: string;
  readonly state: UpstreamSubscriptionState;
  /** Sessions holding the topic as an exact pattern. */
  readonly subscribers: number;
  /** Kept with no subscriber: from `onDemand.standing` or the control plane. */
  readonly standing: boolean;
  /** When the gateway first wanted it, ms since the Unix epoch. */
  readonly createdAt: number;
  /** When it entered its current state. */
  readonly since: number;
  /** With `rejected`: the upstream's reason. */
  readonly reason?: string;
}

/** A source's upstream subscriptions. */
export interface SourceUpstreamView {
  readonly source: string;
  /** `onDemand.maxSubscriptions`; undefined when there is no limit. */
  readonly limit?: number;
  readonly lingerMs: number;
  /** Sorted by topic. */
  readonly subscriptions: readonly UpstreamSubscriptionView[];
}

/** What happened to an upstream subscription, for WatchEvents. */
export type UpstreamChange =
  | "subscribed"
  | "unsubscribed"
  | "rejected"
  | "limit-reached";

/** What WatchEvents streams; `at` is ms since the Unix epoch. */
export type GatewayEvent =
  | {
      readonly type: "source-health";
      readonly source: string;
      readonly from: SourceState;
      readonly to: SourceHealth;
      readonly at: number;
    }
  | {
      readonly type: "source";
      readonly source: string;
      readonly change: Change;
      readonly at: number;
    }
  | {
      readonly type: "group";
      readonly group: string;
      readonly change: Change;
      readonly at: number;
    }
  | {
      readonly type: "failover";
      readonly group: string;
      readonly from?: string;
      readonly to?: string;
      readonly reason: string;
      readonly at: number;
    }
  | {
      readonly type: "client";
      readonly client: string;
      readonly transport: Transport;
      readonly connected: boolean;
      readonly remoteAddress: string;
      readonly reason?: string;
      readonly at: number;
    }
  | {
      /**
       * A source sent a subscribe or unsubscribe frame of an on-demand
       * topic (or let a lingering one go at a reconnect, with no frame:
       * `reason` says so), the upstream rejected one (`reason` is its
       * reason), or a topic was wanted past `maxSubscriptions`.
       */
      readonly type: "upstream-subscription";
      readonly source: string;
      readonly topic: string;
      readonly change: UpstreamChange;
      readonly reason?: string;
      readonly at: number;
    };

export type Change = "added" | "updated" | "removed" | "paused" | "resumed";

/** The error vocabulary of control operations, named after gRPC codes. */
export type ControlErrorCode =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "FAILED_PRECONDITION"
  | "RESOURCE_EXHAUSTED";

/** One thing wrong with a request, located by its field path. */
export interface ControlProblem {
  /** Relative to the object passed in, like `codec.topic`; "" for all. */
  readonly field: string;
  readonly message: string;
}

/**
 * A refused control operation. Validation failures carry every problem
 * found, each with its field, so a transport can prefix its own path
 * (`source.codec.topic`) and name them all.
 */
export class ControlError extends Error {
  readonly code: ControlErrorCode;
  readonly problems: readonly ControlProblem[];

  constructor(
    code: ControlErrorCode,
    message: string,
    problems: readonly ControlProblem[] = [],
  ) {
    super(message);
    this.name = "ControlError";
    this.code = code;
    this.problems = problems;
  }

  /** An INVALID_ARGUMENT listing `problems` as `field: message; ...`. */
  static invalid(problems: readonly ControlProblem[]): ControlError {
    const text = problems
      .map((p) => (p.field === "" ? p.message : `${p.field}: ${p.message}`))
      .join("; ");
    return new ControlError("INVALID_ARGUMENT", text, problems);
  }
}
