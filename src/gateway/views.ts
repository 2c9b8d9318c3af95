import { status } from "@grpc/grpc-js";
import type { StreamService } from "../serve/grpc/index.js";
import type { Fanout, SlowConsumerPolicy } from "../serve/index.js";
import type { WsGateway } from "../serve/ws/index.js";
import { matchesPattern, type TopicGraph } from "../topics/index.js";
import type {
  ClientView,
  GroupMemberView,
  GroupView,
  SourceView,
  SubscriberView,
  SubscriptionOrigin,
  SubscriptionView,
  TopicView,
  Transport,
} from "./control-api.js";
import type { RateSampler } from "./rate-sampler.js";
import { memberIds, type SourceRuntime, type Topology } from "./topology.js";

/** Builds the read-only views the control plane returns. */
export class GatewayViews {
  readonly #topology: Topology;
  readonly #graph: TopicGraph;
  readonly #fanout: Fanout;
  readonly #ws: WsGateway;
  readonly #streams: StreamService;
  readonly #rates: RateSampler;

  constructor(parts: {
    topology: Topology;
    graph: TopicGraph;
    fanout: Fanout;
    ws: WsGateway;
    streams: StreamService;
    rates: RateSampler;
  }) {
    this.#topology = parts.topology;
    this.#graph = parts.graph;
    this.#fanout = parts.fanout;
    this.#ws = parts.ws;
    this.#streams = parts.streams;
    this.#rates = parts.rates;
  }

  /** The counters the rate sampler follows, keyed by kind and id. */
  *counters(): Iterable<[string, number]> {
    for (const [id, runtime] of this.#topology.sources) {
      yield [`source:${id}`, runtime.translator.stats.frames];
    }
    for (const [topic, messages] of this.#graph.messageCounts()) {
      yield [`topic:${topic}`, messages];
    }
  }

  source(runtime: SourceRuntime): SourceView {
    const stats = runtime.translator.stats;
    return {
      config: runtime.config,
      health: this.#topology.healthOf(runtime),
      counters: {
        frames: stats.frames,
        translated: stats.messages,
        skipped: stats.skipped,
        failed: stats.failed,
        connects: runtime.connects,
        frameRate: this.#rates.rate(`source:${runtime.config.id}`),
      },
      group: runtime.group ?? runtime.config.id,
      origin: runtime.origin,
    };
  }

  group(id: string): GroupView | undefined {
    const group = this.#topology.groups.get(id);
    if (group === undefined) return undefined;
    const stats = group.pipeline.stats;
    const members: GroupMemberView[] = memberIds(group.config).map(
      (member, i) => {
        const runtime = this.#topology.sources.get(member);
        const entry = group.config.sources[i];
        const counts = stats.dedupe.sources[member];
        return {
          id: member,
          priority: typeof entry === "object" ? (entry.priority ?? 0) : 0,
          health: runtime
            ? this.#topology.healthOf(runtime)
            : { state: "down", reason: "no such source", since: 0 },
          accepted: counts?.accepted ?? 0,
          duplicates: counts?.duplicates ?? 0,
        };
      },
    );
    return {
      config: group.config,
      members,
      active: group.pipeline.active,
      origin: group.origin,
    };
  }

  topics(pattern: string | undefined): TopicView[] {
    return this.#graph.list(pattern).map((info) => ({
      topic: info.topic,
      seq: info.seq,
      epoch: info.epoch,
      messages: info.messages,
      lastMessageAt: info.lastMessageAt,
      messageRate: this.#rates.rate(`topic:${info.topic}`),
      subscribers: this.#fanout.index.match(info.topic).length,
      sources: [...info.sources].sort(),
      gaps: info.gaps ?? 0,
    }));
  }

  clients(): ClientView[] {
    const ws = [...this.#ws.sessions.values()].map((session) =>
      clientView(session, "websocket", session.protocol, session.watch.stalled),
    );
    const grpc = [...this.#streams.sessions.values()].map((session) =>
      clientView(session, "grpc", "", session.stalled),
    );
    return [...ws, ...grpc].sort((a, b) => compareIds(a.id, b.id));
  }

  /** A connected client's session, either transport, with its transport. */
  session(
    id: string,
  ): { session: ControlledSession; transport: Transport } | undefined {
    const stream = this.#streams.sessions.get(id);
    if (stream !== undefined) return { session: stream, transport: "grpc" };
    const ws = this.#ws.sessions.get(id);
    return ws && { session: ws, transport: "websocket" };
  }

  /** The client as ListClients shows it; undefined once it is gone. */
  client(id: string): ClientView | undefined {
    return this.clients().find((c) => c.id === id);
  }

  /** Held patterns that `filter` matches (all without one), sorted. */
  subscriptions(filter: string | undefined): SubscriptionView[] {
    const byPattern = new Map<string, SubscriberView[]>();
    const note = (session: ControlledSession, transport: Transport) => {
      for (const [pattern, origin] of session.origins) {
        if (filter !== undefined && !matchesPattern(filter, pattern)) continue;
        const list = byPattern.get(pattern) ?? [];
        list.push({ client: session.id, transport, origin });
        byPattern.set(pattern, list);
      }
    };
    for (const s of this.#ws.sessions.values()) note(s, "websocket");
    for (const s of this.#streams.sessions.values()) note(s, "grpc");
    return [...byPattern]
      .sort(([a], [b]) => compareIds(a, b))
      .map(([pattern, sessions]) => ({
        pattern,
        sessions: sessions.sort((a, b) => compareIds(a.client, b.client)),
      }));
  }

  /** Closes a client's session; false when there is no such client. */
  disconnect(id: string, reason: string): boolean {
    const why = reason || "disconnected by an operator";
    const stream = this.#streams.sessions.get(id);
    if (stream !== undefined) {
      stream.end({ code: status.CANCELLED, details: why });
      return true;
    }
    const session = this.#ws.sessions.get(id);
    if (session === undefined) return false;
    session.close(1008, why);
    return true;
  }
}

/** What ListClients shows of a WebSocket or gRPC session. */
interface ClientSession {
  readonly id: string;
  readonly remoteAddress: string;
  readonly patterns: ReadonlySet<string>;
  readonly delivery: {
    queued: number;
    delivered: number;
    dropped: number;
    gaps: number;
  };
  /** Gap notices passed on from the topic (upstream, history). */
  readonly stats: { readonly gaps: number };
  readonly connectedAt: number;
  /** The slow-consumer policy of a held pattern. */
  policyOf(pattern: string): SlowConsumerPolicy;
}

/** A session the control plane may subscribe and unsubscribe. */
export interface ControlledSession extends ClientSession {
  /** Who placed each held pattern. */
  readonly origins: ReadonlyMap<string, SubscriptionOrigin>;
  readonly maxSubscriptions: number;
  /**
   * Adds checked patterns, with `policy` for all of them when given;
   * tells the client where its protocol can.
   */
  controlSubscribe(
    patterns: readonly string[],
    policy: SlowConsumerPolicy | undefined,
  ): void;
  /** Drops patterns; tells the client where its protocol can. */
  controlUnsubscribe(patterns: readonly string[]): void;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function clientView(
  session: ClientSession,
  transport: Transport,
  protocol: string,
  stalled: boolean,
): ClientView {
  const subscriptions = [...session.patterns].sort();
  const policies: Record<string, SlowConsumerPolicy> = {};
  for (const pattern of subscriptions) {
    policies[pattern] = session.policyOf(pattern);
  }
  return {
    id: session.id,
    transport,
    remoteAddress: session.remoteAddress,
    subscriptions,
    queueDepth: session.delivery.queued,
    sent: session.delivery.delivered,
    dropped: session.delivery.dropped,
    // The topic's own gap notices plus those the session's queue made.
    gaps: session.stats.gaps + session.delivery.gaps,
    connectedAt: session.connectedAt,
    protocol,
    stalled,
    policies,
  };
}
