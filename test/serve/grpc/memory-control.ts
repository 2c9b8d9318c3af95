import { Subject } from "rxjs";
import type { z } from "zod";
import {
  formatPath,
  type GroupConfig,
  groupSchema,
  parseConfig,
  type SourceConfig,
  sourceSchema,
} from "../../../src/config/index.js";
import {
  type ClientView,
  ControlError,
  type GatewayControl,
  type GatewayEvent,
  type GroupView,
  type SourceUpstreamView,
  type SourceView,
  type SubscriptionView,
  type TopicView,
} from "../../../src/gateway/index.js";
import {
  type BackendConfig,
  backendSchema,
  type PoolConfig,
  type PoolView,
  poolSchema,
} from "../../../src/proxy/index.js";
import {
  createGrpcServer,
  type GrpcServer,
} from "../../../src/serve/grpc/index.js";
import type { SourceHealth } from "../../../src/sources/index.js";
import { createSilentLogger } from "../../../src/telemetry/index.js";
import { MemoryUpstream } from "./memory-upstream.js";

/** A source id whose operations throw a plain Error (a gateway bug). */
export const BROKEN_ID = "broken";

/**
 * An in-memory GatewayControl: our own interface, implemented just far
 * enough to check the gRPC mapping. It validates with the real config
 * schemas, so the field paths it reports are the gateway's.
 */
export class MemoryControl implements GatewayControl {
  readonly sources = new Map<string, SourceView>();
  readonly groups = new Map<string, GroupView>();
  topics: TopicView[] = [];
  clients: ClientView[] = [];
  subscriptions: SubscriptionView[] = [];
  /** The raw objects addSource, updateSource and setGroup received. */
  readonly received: unknown[] = [];
  readonly disconnected: { id: string; reason: string }[] = [];
  readonly pools = new Map<string, PoolView>();
  readonly subject = new Subject<GatewayEvent>();
  readonly events = this.subject.asObservable();
  /** Sources with `onDemand` rules; `upstream.set` gives a source some. */
  readonly upstream = new MemoryUpstream(
    (id) => this.sources.has(id),
    this.subject,
  );

  async addSource(raw: unknown): Promise<SourceView> {
    this.received.push(raw);
    const config = validate(sourceSchema, raw) as SourceConfig;
    if (config.id === BROKEN_ID) throw new Error("a bug");
    if (this.sources.has(config.id)) {
      throw new ControlError("ALREADY_EXISTS", `source ${config.id} exists`);
    }
    return this.#putSource(config, "added");
  }

  async updateSource(raw: unknown): Promise<SourceView> {
    this.received.push(raw);
    const config = validate(sourceSchema, raw) as SourceConfig;
    this.getSource(config.id);
    return this.#putSource(config, "updated");
  }

  async removeSource(id: string): Promise<void> {
    const view = this.getSource(id);
    const group = this.groups.get(view.group);
    if (group !== undefined && group.members.length === 1) {
      throw new ControlError(
        "FAILED_PRECONDITION",
        `source ${id} is the last member of group ${group.config.id}`,
      );
    }
    this.sources.delete(id);
  }

  getSource(id: string): SourceView {
    const view = this.sources.get(id);
    if (view === undefined) {
      throw new ControlError("NOT_FOUND", `no source ${id}`);
    }
    return view;
  }

  listSources(): SourceView[] {
    return [...this.sources.values()].sort(byKey((v) => v.config.id));
  }

  async pauseSource(id: string): Promise<SourceView> {
    return this.#setHealth(id, { state: "paused", reason: "paused", since: 1 });
  }

  async resumeSource(id: string): Promise<SourceView> {
    const health = { state: "connecting", reason: "resumed", since: 2 };
    return this.#setHealth(id, health as SourceHealth);
  }

  async setGroup(raw: unknown): Promise<GroupView> {
    this.received.push(raw);
    const config = validate(groupSchema, raw) as GroupConfig;
    const ids = config.sources.map((m) => (typeof m === "string" ? m : m.id));
    const unknown = ids.findIndex((id) => !this.sources.has(id));
    if (unknown >= 0) {
      throw ControlError.invalid([
        { field: `sources[${unknown}]`, message: "no such source" },
      ]);
    }
    const taken = ids.find((id) => {
      const group = this.sources.get(id)?.group;
      return group !== id && group !== config.id;
    });
    if (taken !== undefined) {
      throw new ControlError("FAILED_PRECONDITION", `${taken} is taken`);
    }
    const view: GroupView = {
      config,
      members: config.sources.map((member, i) => ({
        id: ids[i] ?? "",
        priority: typeof member === "string" ? 0 : (member.priority ?? 0),
        health: this.getSource(ids[i] ?? "").health,
        accepted: 10 + i,
        duplicates: i,
      })),
      active: config.mode === "active-standby" ? ids[0] : undefined,
      origin: "control",
    };
    this.groups.set(config.id, view);
    for (const id of ids) this.#update(id, { group: config.id });
    return view;
  }

  async removeGroup(id: string): Promise<void> {
    if (!this.groups.delete(id)) {
      throw new ControlError("NOT_FOUND", `no group ${id}`);
    }
  }

  listGroups(): GroupView[] {
    return [...this.groups.values()].sort(byKey((g) => g.config.id));
  }

  failover(group: string, source: string): GroupView {
    const view = this.groups.get(group);
    if (view === undefined) {
      throw new ControlError("NOT_FOUND", `no group ${group}`);
    }
    if (!view.members.some((m) => m.id === source)) {
      throw ControlError.invalid([
        { field: "source", message: `${source} is not a member of ${group}` },
      ]);
    }
    return { ...view, active: source };
  }

  listTopics(pattern?: string): TopicView[] {
    if (pattern?.includes(" ")) {
      throw ControlError.invalid([
        { field: "", message: "a token may not contain ' '" },
      ]);
    }
    return this.topics.filter(
      (t) => pattern === undefined || matches(pattern, t.topic),
    );
  }

  listClients(): ClientView[] {
    return this.clients;
  }

  disconnectClient(id: string, reason: string): void {
    if (!this.clients.some((c) => c.id === id)) {
      throw new ControlError("NOT_FOUND", `no client ${id}`);
    }
    this.disconnected.push({ id, reason });
  }

  subscribeClient(id: string, patterns: readonly string[]): ClientView {
    const client = this.#client(id, patterns);
    const held = new Set([...client.subscriptions, ...patterns]);
    return this.#putClient({ ...client, subscriptions: [...held].sort() });
  }

  unsubscribeClient(id: string, patterns: readonly string[]): ClientView {
    const client = this.#client(id, patterns);
    const subscriptions = client.subscriptions.filter(
      (p) => !patterns.includes(p),
    );
    return this.#putClient({ ...client, subscriptions });
  }

  listSubscriptions(pattern?: string): SubscriptionView[] {
    return this.subscriptions.filter(
      (s) => pattern === undefined || matches(pattern, s.pattern),
    );
  }

  listUpstreamSubscriptions(source?: string): SourceUpstreamView[] {
    return this.upstream.list(source);
  }

  async addStandingSubscription(
    source: string,
    topic: string,
  ): Promise<SourceUpstreamView> {
    return this.upstream.add(source, topic);
  }

  async removeStandingSubscription(
    source: string,
    topic: string,
  ): Promise<SourceUpstreamView> {
    return this.upstream.remove(source, topic);
  }

  /** The client, after the checks the gateway makes on a pattern list. */
  #client(id: string, patterns: readonly string[]): ClientView {
    const bad = patterns.findIndex((p) => p === "" || p.includes(" "));
    if (bad >= 0) {
      throw ControlError.invalid([
        { field: `patterns[${bad}]`, message: "not a pattern" },
      ]);
    }
    const client = this.clients.find((c) => c.id === id);
    if (client === undefined) {
      throw new ControlError("NOT_FOUND", `no client ${id}`);
    }
    return client;
  }

  #putClient(client: ClientView): ClientView {
    this.clients = this.clients.map((c) => (c.id === client.id ? client : c));
    return client;
  }

  async addPool(raw: unknown): Promise<PoolView> {
    this.received.push(raw);
    const config = validate(poolSchema, raw) as PoolConfig;
    if (this.pools.has(config.id)) {
      throw new ControlError("ALREADY_EXISTS", `pool ${config.id} exists`);
    }
    const view: PoolView = {
      id: config.id,
      path: config.path,
      balancer: config.balancer.type,
      sessions: 0,
      backends: config.backends.map(backendView),
    };
    this.pools.set(config.id, view);
    return view;
  }

  async removePool(id: string): Promise<void> {
    this.#pool(id);
    this.pools.delete(id);
  }

  async addBackend(pool: string, raw: unknown): Promise<PoolView> {
    this.received.push(raw);
    const config = validate(backendSchema, raw) as BackendConfig;
    const view = this.#pool(pool);
    if (view.backends.some((b) => b.id === config.id)) {
      throw new ControlError("ALREADY_EXISTS", `backend ${config.id} exists`);
    }
    return this.#putPool({
      ...view,
      backends: [...view.backends, backendView(config)],
    });
  }

  async removeBackend(pool: string, id: string): Promise<void> {
    const view = this.#pool(pool);
    this.#backend(view, id);
    this.#putPool({
      ...view,
      backends: view.backends.filter((b) => b.id !== id),
    });
  }

  async drainBackend(pool: string, id: string): Promise<PoolView> {
    const view = this.#pool(pool);
    this.#backend(view, id);
    return this.#putPool({
      ...view,
      backends: view.backends.map((b) =>
        b.id === id ? { ...b, draining: true } : b,
      ),
    });
  }

  listPools(): PoolView[] {
    return [...this.pools.values()];
  }

  /** Replaces a source's health, as a connection would. */
  setHealth(id: string, health: SourceHealth): void {
    this.#update(id, { health });
  }

  #pool(id: string): PoolView {
    const view = this.pools.get(id);
    if (view === undefined)
      throw new ControlError("NOT_FOUND", `no pool ${id}`);
    return view;
  }

  #backend(view: PoolView, id: string): void {
    if (!view.backends.some((b) => b.id === id)) {
      throw new ControlError("NOT_FOUND", `no backend ${id}`);
    }
  }

  #putPool(view: PoolView): PoolView {
    this.pools.set(view.id, view);
    return view;
  }

  #putSource(config: SourceConfig, change: "added" | "updated"): SourceView {
    const view: SourceView = {
      config,
      health: { state: "connecting", reason: "added", since: 1000 },
      counters: {
        frames: 5,
        translated: 4,
        skipped: 1,
        failed: 0,
        connects: 1,
        frameRate: 2.5,
      },
      group: this.sources.get(config.id)?.group ?? config.id,
      origin: "control",
    };
    this.sources.set(config.id, view);
    this.subject.next({ type: "source", source: config.id, change, at: 7 });
    return view;
  }

  #setHealth(id: string, health: SourceHealth): SourceView {
    this.getSource(id);
    return this.#update(id, { health });
  }

  #update(id: string, patch: Partial<SourceView>): SourceView {
    const view = { ...this.getSource(id), ...patch };
    this.sources.set(id, view);
    return view;
  }
}

function validate(schema: z.ZodType, raw: unknown): unknown {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw ControlError.invalid(
    result.error.issues.map((issue) => ({
      field: issue.path.length === 0 ? "" : formatPath(issue.path),
      message: issue.message,
    })),
  );
}

function backendView(config: BackendConfig): PoolView["backends"][number] {
  return {
    ...config,
    health: "healthy",
    draining: false,
    openSessions: 0,
    connectFailures: 0,
    bytesToBackend: 0,
    bytesToClients: 0,
  };
}

function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => key(a).localeCompare(key(b));
}

/** Enough of the pattern syntax for these tests: `*` and a final `>`. */
function matches(pattern: string, topic: string): boolean {
  const want = pattern.split(".");
  const have = topic.split(".");
  for (let i = 0; i < want.length; i++) {
    if (want[i] === ">") return have.length > i;
    if (want[i] !== "*" && want[i] !== have[i]) return false;
  }
  return want.length === have.length;
}

/**
 * A real gRPC server on a free loopback port serving a fresh
 * MemoryControl, with `tokens` as `auth.control.tokens`.
 */
export async function serveMemoryControl(tokens: unknown[] = []): Promise<{
  control: MemoryControl;
  server: GrpcServer;
  port: number;
}> {
  const control = new MemoryControl();
  const server = createGrpcServer({
    control,
    config: { host: "127.0.0.1", grpcPort: 0 },
    auth: parseConfig({ auth: { control: { tokens } } }).auth,
    logger: createSilentLogger(),
  });
  return { control, server, port: await server.start() };
}
