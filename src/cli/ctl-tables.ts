import {
  type BackendHealth,
  backendHealthToJSON,
  type ClientStatus,
  changeToJSON,
  type GroupStatus,
  type Origin,
  originToJSON,
  type PatternSubscriptions,
  type PoolStatus,
  type SourceHealth,
  SourceState,
  type SourceStatus,
  type SourceUpstreamSubscriptions,
  sourceStateToJSON,
  subscriptionOriginToJSON,
  type TopicStatus,
  type Transport,
  transportToJSON,
  type UpstreamChange,
  type UpstreamSubscriptionState,
  upstreamChangeToJSON,
  upstreamSubscriptionStateToJSON,
  type WatchEventsResponse,
} from "../gen/tributary/v1/control.js";
import type { SlowConsumerPolicy } from "../gen/tributary/v1/delivery.js";
import { policyFromProto } from "../serve/index.js";

/** Column gap of the tables. */
const GAP = "  ";

/**
 * Lays `rows` out under `headers` in columns padded to their widest cell;
 * numeric columns (every cell a number) are right-aligned.
 */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const numeric = headers.map(
    (_, column) =>
      rows.length > 0 &&
      rows.every((row) => /^[\d.]+$/.test(row[column] ?? "")),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        return numeric[i] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join(GAP)
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** "up", "down": the enum name without its prefix, lowercased. */
export function stateName(state: SourceState | undefined): string {
  const name = sourceStateToJSON(state ?? SourceState.SOURCE_STATE_UNSPECIFIED);
  return name.replace("SOURCE_STATE_", "").toLowerCase();
}

function transportName(transport: Transport): string {
  return transportToJSON(transport).replace("TRANSPORT_", "").toLowerCase();
}

function rate(value: number): string {
  return value.toFixed(1);
}

/** The sources table of `sources list`. */
export function sourcesTable(sources: readonly SourceStatus[]): string {
  const headers = ["ID", "STATE", "GROUP", "FRAMES", "MSGS", "SKIP", "FAIL"];
  const rows = sources.map((s) => [
    s.source?.id ?? "",
    stateName(s.health?.state),
    s.group,
    String(s.counters?.frames ?? 0),
    String(s.counters?.translated ?? 0),
    String(s.counters?.skipped ?? 0),
    String(s.counters?.failed ?? 0),
    rate(s.counters?.frameRate ?? 0),
    s.health?.reason ?? "",
  ]);
  return formatTable([...headers, "FRAMES/S", "REASON"], rows);
}

/** One source, a field a line, for `sources get` and the changes. */
export function sourceDetails(status: SourceStatus): string {
  const { source, health, counters } = status;
  const fields: [string, string][] = [
    ["id", source?.id ?? ""],
    ["url", source?.url ?? ""],
    ["state", describeHealth(health)],
    ["group", status.group],
    ["origin", originName(status.origin)],
    ["codec", JSON.stringify(source?.codec ?? {})],
    ["frames", String(counters?.frames ?? 0)],
    ["translated", String(counters?.translated ?? 0)],
    ["skipped", String(counters?.skipped ?? 0)],
    ["failed", String(counters?.failed ?? 0)],
    ["connects", String(counters?.connects ?? 0)],
    ["frames/s", rate(counters?.frameRate ?? 0)],
  ];
  const width = Math.max(...fields.map(([name]) => name.length));
  return fields
    .map(([name, value]) => `${name.padEnd(width)}  ${value}`)
    .join("\n");
}

function originName(origin: Origin): string {
  return originToJSON(origin).replace("ORIGIN_", "").toLowerCase();
}

function describeHealth(health: SourceHealth | undefined): string {
  const state = stateName(health?.state);
  const since = health?.sinceMs ? ` since ${iso(health.sinceMs)}` : "";
  const reason = health?.reason ? ` (${health.reason})` : "";
  return `${state}${reason}${since}`;
}

/** The groups table of `groups list` and `groups set`. */
export function groupsTable(groups: readonly GroupStatus[]): string {
  const rows = groups.map((g) => [
    g.group?.id ?? "",
    g.group?.mode ?? "",
    String(g.group?.dedupe?.by ?? "none"),
    g.active,
    g.members
      .map((m) => {
        const priority = m.member?.priority ? `(${m.member.priority})` : "";
        return `${m.member?.id}${priority}:${stateName(m.health?.state)}`;
      })
      .join(" "),
  ]);
  return formatTable(["ID", "MODE", "DEDUPE", "ACTIVE", "MEMBERS"], rows);
}

/** The topics table of `topics`. */
export function topicsTable(topics: readonly TopicStatus[]): string {
  const rows = topics.map((t) => [
    t.topic,
    String(t.seq),
    t.epoch,
    rate(t.messageRate),
    String(t.subscribers),
    String(t.messages),
    String(t.gaps),
    t.sources.join(","),
  ]);
  const headers = ["TOPIC", "SEQ", "EPOCH", "MSGS/S", "SUBS", "MSGS", "GAPS"];
  return formatTable([...headers, "SOURCES"], rows);
}

/** The clients table of `clients list`. */
export function clientsTable(clients: readonly ClientStatus[]): string {
  const rows = clients.map((c) => [
    c.id,
    transportName(c.transport),
    c.remoteAddress,
    String(c.queueDepth),
    String(c.sent),
    String(c.dropped),
    c.stalled ? "yes" : "no",
    ...policyColumns(c),
  ]);
  const headers = ["ID", "TRANSPORT", "REMOTE", "QUEUE", "SENT", "DROPPED"];
  return formatTable([...headers, "STALLED", "POLICY", "SUBSCRIPTIONS"], rows);
}

/**
 * POLICY and SUBSCRIPTIONS of a client: one policy when its patterns
 * share it, else `mixed` and each pattern with its own in brackets.
 */
function policyColumns(client: ClientStatus): [string, string] {
  const names = client.subscriptions.map((pattern) =>
    policyName(client.policies[pattern]),
  );
  const distinct = new Set(names);
  if (distinct.size <= 1) {
    return [names[0] ?? "-", client.subscriptions.join(",")];
  }
  const each = client.subscriptions.map((p, i) => `${p}[${names[i]}]`);
  return ["mixed", each.join(",")];
}

function policyName(policy: SlowConsumerPolicy | undefined): string {
  return policy === undefined ? "-" : (policyFromProto(policy) ?? "-");
}

/** One row per session on a held pattern: PATTERN CLIENT TRANSPORT ORIGIN. */
export function subscriptionsTable(
  subscriptions: readonly PatternSubscriptions[],
): string {
  const rows = subscriptions.flatMap((s) =>
    s.subscribers.map((sub) => [
      s.pattern,
      sub.clientId,
      transportName(sub.transport),
      subscriptionOriginToJSON(sub.origin)
        .replace("SUBSCRIPTION_ORIGIN_", "")
        .toLowerCase(),
    ]),
  );
  return formatTable(["PATTERN", "CLIENT", "TRANSPORT", "ORIGIN"], rows);
}

/**
 * The table of `upstream list`, `add` and `rm`: a row per upstream
 * subscription (a source with none gets one row with "-"). AGE is how long
 * ago the gateway first wanted the topic, as of `now`.
 */
export function upstreamTable(
  sources: readonly SourceUpstreamSubscriptions[],
  now = Date.now(),
): string {
  const rows = sources.flatMap((source) => {
    if (source.subscriptions.length === 0) return [[source.source, "-"]];
    return source.subscriptions.map((s) => [
      source.source,
      s.topic,
      upstreamStateName(s.state),
      String(s.subscribers),
      s.standing ? "yes" : "no",
      age(now - s.createdAtMs),
      s.reason,
    ]);
  });
  const headers = ["SOURCE", "TOPIC", "STATE", "SUBS", "STANDING", "AGE"];
  return formatTable([...headers, "REASON"], rows);
}

function upstreamStateName(state: UpstreamSubscriptionState): string {
  return upstreamSubscriptionStateToJSON(state)
    .replace("UPSTREAM_SUBSCRIPTION_STATE_", "")
    .toLowerCase();
}

/** "42s", "5m", "3h", "2d": the largest whole unit, as kubectl shows ages. */
function age(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** One line of `events`: time, kind, then what happened. */
export function eventLine(response: WatchEventsResponse): string {
  return `${iso(response.timeMs)}  ${describeEvent(response.event)}`;
}

function describeEvent(event: WatchEventsResponse["event"]): string {
  switch (event?.$case) {
    case "sourceHealth": {
      const { source, from, to } = event.value;
      const why = to?.reason ? ` (${to.reason})` : "";
      const change = `${stateName(from)} -> ${stateName(to?.state)}`;
      return `source ${source} ${change}${why}`;
    }
    case "source":
      return `source ${event.value.source} ${changeName(event.value.change)}`;
    case "group":
      return `group ${event.value.group} ${changeName(event.value.change)}`;
    case "failover": {
      const { group, from, to, reason } = event.value;
      return `failover ${group} ${from || "-"} -> ${to || "-"} (${reason})`;
    }
    case "client": {
      const { client, transport, connected, remoteAddress, reason } =
        event.value;
      const what = connected ? "connected" : "disconnected";
      const why = reason ? ` (${reason})` : "";
      const peer = `${transportName(transport)} ${remoteAddress}`;
      return `client ${client} ${what} ${peer}${why}`;
    }
    case "upstreamSubscription": {
      const { source, topic, change, reason } = event.value;
      const why = reason ? ` (${reason})` : "";
      return `upstream ${source} ${topic} ${upstreamChangeName(change)}${why}`;
    }
    case undefined:
      return "unknown event";
  }
}

function changeName(change: Parameters<typeof changeToJSON>[0]): string {
  return changeToJSON(change).replace("CHANGE_", "").toLowerCase();
}

/** "subscribed", "limit-reached": as the gateway's own UpstreamChange. */
function upstreamChangeName(change: UpstreamChange): string {
  return upstreamChangeToJSON(change)
    .replace("UPSTREAM_CHANGE_", "")
    .toLowerCase()
    .replaceAll("_", "-");
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The table of `pools list`: a row per backend (a pool without backends
 * gets one row with "-"), with the pool's columns repeated.
 */
export function poolsTable(pools: readonly PoolStatus[]): string {
  const headers = ["POOL", "PATH", "BALANCER", "SESSIONS", "BACKEND"];
  const rows = pools.flatMap((pool) => {
    const head = [pool.id, pool.path, pool.balancer, String(pool.sessions)];
    if (pool.backends.length === 0) return [[...head, "-"]];
    return pool.backends.map((b) => [
      ...head,
      b.backend?.id ?? "",
      backendHealthName(b.health) + (b.draining ? ",draining" : ""),
      String(b.openSessions),
      String(b.connectFailures),
      String(b.bytesToBackend),
      String(b.bytesToClients),
      b.backend?.url ?? "",
      b.lastError,
    ]);
  });
  const more = ["HEALTH", "OPEN", "FAILS", "BYTES-IN", "BYTES-OUT", "URL"];
  return formatTable([...headers, ...more, "ERROR"], rows);
}

function backendHealthName(health: BackendHealth): string {
  return backendHealthToJSON(health)
    .replace("BACKEND_HEALTH_", "")
    .toLowerCase();
}
