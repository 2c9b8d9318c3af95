import type {
  ClientView,
  GatewayControl,
  GatewayEvent,
  GroupView,
  SourceView,
  TopicView,
  Transport,
} from "../gateway/index.js";
import type {
  DashboardSnapshot,
  DropTotals,
  GroupRow,
  RateSample,
  SourceRow,
  TopicRow,
  TransportRow,
} from "./snapshot-rows.js";

/** What the snapshot builder reads: the list calls of the control plane. */
export type DashboardViews = Pick<
  GatewayControl,
  "listSources" | "listGroups" | "listTopics" | "listClients"
>;

/** Options of {@link SnapshotBuilder}. */
export interface SnapshotBuilderOptions {
  /** Topics listed in a snapshot, busiest first; default 50. */
  readonly maxTopics?: number;
}

/** Default of {@link SnapshotBuilderOptions.maxTopics}. */
export const DEFAULT_MAX_TOPICS = 50;

const TRANSPORTS: readonly Transport[] = ["websocket", "grpc"];

/** What a client has been sent and dropped, as last seen. */
interface ClientCounts {
  readonly transport: Transport;
  sent: number;
  dropped: number;
}

/**
 * Builds dashboard snapshots from the control plane's views. It keeps
 * what the views do not: when each source's frame count last grew, the
 * failovers seen, and the counts of clients that have left, so totals do
 * not fall when a client goes.
 */
export class SnapshotBuilder {
  readonly #maxTopics: number;
  readonly #frames = new Map<string, { count: number; at?: number }>();
  readonly #failovers = new Map<string, number>();
  readonly #clients = new Map<string, ClientCounts>();
  readonly #gone = new Map<Transport, { sent: number; dropped: number }>();
  #lastDelivered: { at: number; total: number } | undefined;

  constructor(options: SnapshotBuilderOptions = {}) {
    this.#maxTopics = options.maxTopics ?? DEFAULT_MAX_TOPICS;
  }

  /**
   * Counts failovers: switches away from an active member. A group's
   * first activation (`from` absent) is not one; other events are ignored.
   */
  observe(event: GatewayEvent): void {
    if (event.type !== "failover" || event.from === undefined) return;
    this.#failovers.set(event.group, this.failovers(event.group) + 1);
  }

  /** Failovers of `group` seen so far. */
  failovers(group: string): number {
    return this.#failovers.get(group) ?? 0;
  }

  /** Reads every view once and builds the snapshot at `now`. */
  build(views: DashboardViews, now = Date.now()): DashboardSnapshot {
    const sources = views.listSources().map((s) => this.#sourceRow(s, now));
    forgetAbsent(this.#frames, sources);
    const groups = views.listGroups();
    const allTopics = views.listTopics();
    const transports = this.#transportRows(views.listClients());
    const topics = busiest(allTopics, this.#maxTopics).map(topicRow);
    return {
      type: "snapshot",
      at: now,
      sources,
      groups: groups.map((g) => this.#groupRow(g)),
      topics,
      topicCount: allTopics.length,
      transports,
      drops: dropTotals(sources, groups, allTopics, transports),
      sample: this.#sample(now, sources, allTopics, transports),
    };
  }

  #sourceRow(view: SourceView, now: number): SourceRow {
    const id = view.config.id;
    const { counters, health } = view;
    const seen = this.#frames.get(id);
    let lastFrameAt = seen?.at;
    // A count that changed (grew, or restarted with a new translator)
    // means frames arrived since the last look; the first look only
    // knows that some did at some time, so it says now.
    if (counters.frames !== (seen?.count ?? 0)) lastFrameAt = now;
    this.#frames.set(id, { count: counters.frames, at: lastFrameAt });
    return {
      id,
      group: view.group,
      state: health.state,
      reason: health.reason,
      since: health.since,
      nextRetryAt: health.state === "down" ? health.nextRetryAt : undefined,
      frameRate: counters.frameRate,
      frames: counters.frames,
      skipped: counters.skipped,
      failed: counters.failed,
      connects: counters.connects,
      lastFrameAt,
    };
  }

  #groupRow(view: GroupView): GroupRow {
    return {
      id: view.config.id,
      mode: view.config.mode,
      dedupe: view.config.dedupe.by,
      active: view.active,
      members: view.members.map((m) => ({
        id: m.id,
        state: m.health.state,
        priority: m.priority,
        accepted: m.accepted,
        duplicates: m.duplicates,
      })),
      failovers: this.failovers(view.config.id),
    };
  }

  /** Per transport, with the last counts of clients that have left. */
  #transportRows(clients: readonly ClientView[]): TransportRow[] {
    const present = new Set(clients.map((c) => c.id));
    for (const [id, counts] of this.#clients) {
      if (present.has(id)) continue;
      const gone = this.#gone.get(counts.transport) ?? { sent: 0, dropped: 0 };
      gone.sent += counts.sent;
      gone.dropped += counts.dropped;
      this.#gone.set(counts.transport, gone);
      this.#clients.delete(id);
    }
    const rows = TRANSPORTS.map((transport) => ({
      transport,
      connected: 0,
      queued: 0,
      ...(this.#gone.get(transport) ?? { sent: 0, dropped: 0 }),
    }));
    for (const client of clients) {
      // Only the counts, not the whole view: with tens of thousands of
      // clients reconnecting, views of the ones gone stay here until the
      // next snapshot, and a view holds every pattern and its policy.
      const { transport, sent, dropped } = client;
      const counts = this.#clients.get(client.id);
      if (counts === undefined) {
        this.#clients.set(client.id, { transport, sent, dropped });
      } else {
        counts.sent = sent;
        counts.dropped = dropped;
      }
      const row = rows.find((r) => r.transport === client.transport);
      if (row === undefined) continue;
      row.connected += 1;
      row.sent += client.sent;
      row.dropped += client.dropped;
      row.queued += client.queueDepth;
    }
    return rows;
  }

  #sample(
    now: number,
    sources: readonly SourceRow[],
    topics: readonly TopicView[],
    transports: readonly TransportRow[],
  ): RateSample {
    const rates: Record<string, number> = {};
    for (const source of sources) rates[source.id] = source.frameRate;
    const total = sum(transports, (t) => t.sent);
    const last = this.#lastDelivered;
    const seconds = last === undefined ? 0 : (now - last.at) / 1000;
    const delivered =
      last === undefined || seconds <= 0
        ? 0
        : Math.max(0, total - last.total) / seconds;
    this.#lastDelivered = { at: now, total };
    return {
      at: now,
      sources: rates,
      published: sum(topics, (t) => t.messageRate),
      delivered,
    };
  }
}

/** Drops what is kept of sources that were removed. */
function forgetAbsent(
  seen: Map<string, unknown>,
  sources: readonly SourceRow[],
): void {
  if (seen.size === sources.length) return;
  const present = new Set(sources.map((s) => s.id));
  for (const id of seen.keys()) if (!present.has(id)) seen.delete(id);
}

function busiest(topics: readonly TopicView[], max: number): TopicView[] {
  return [...topics]
    .sort((a, b) => b.messageRate - a.messageRate || compare(a.topic, b.topic))
    .slice(0, max);
}

function topicRow(view: TopicView): TopicRow {
  return {
    topic: view.topic,
    rate: view.messageRate,
    messages: view.messages,
    subscribers: view.subscribers,
    sources: view.sources,
    gaps: view.gaps,
    lastMessageAt: view.lastMessageAt,
  };
}

function dropTotals(
  sources: readonly SourceRow[],
  groups: readonly GroupView[],
  topics: readonly TopicView[],
  transports: readonly TransportRow[],
): DropTotals {
  return {
    clientDrops: sum(transports, (t) => t.dropped),
    gaps: sum(topics, (t) => t.gaps),
    skipped: sum(sources, (s) => s.skipped),
    failed: sum(sources, (s) => s.failed),
    duplicates: sum(groups, (g) => sum(g.members, (m) => m.duplicates)),
  };
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
