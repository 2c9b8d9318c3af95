import { Subject } from "rxjs";
import type { ZodType } from "zod";
import {
  formatPath,
  type GroupConfig,
  groupSchema,
  type SourceConfig,
  sourceSchema,
} from "../config/index.js";
import { PipelineError } from "../pipeline/index.js";
import type { PoolView, ProxyGateway } from "../proxy/index.js";
import type { SlowConsumerPolicy } from "../serve/index.js";
import type { StateFile, StateOverlay } from "../state/index.js";
import { TopicError, validatePattern } from "../topics/index.js";
import { ClientControl } from "./client-control.js";
import {
  type ClientView,
  ControlError,
  type ControlProblem,
  type GatewayControl,
  type GatewayEvent,
  type GroupView,
  type SourceUpstreamView,
  type SourceView,
  type SubscriptionView,
  type TopicView,
} from "./control-api.js";
import { withStanding } from "./merge-state.js";
import { PoolControl } from "./pool-control.js";
import { memberIds, type Topology } from "./topology.js";
import { UpstreamControl } from "./upstream-control.js";
import type { GatewayViews } from "./views.js";

/**
 * The control plane's side of the gateway: validates each change, writes
 * it to the state file, applies it to the running topology and reports
 * it. A change that fails validation touches nothing.
 */
export class ControlLayer implements GatewayControl {
  readonly events = new Subject<GatewayEvent>();
  readonly #topology: Topology;
  readonly #views: GatewayViews;
  readonly #state: StateFile | undefined;
  readonly #pools: PoolControl;
  readonly #clients: ClientControl;
  readonly #upstream: UpstreamControl;
  #overlay: StateOverlay;
  /** Serialises changes so each one sees the result of the one before. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: {
    topology: Topology;
    views: GatewayViews;
    state: StateFile | undefined;
    overlay: StateOverlay;
    /** Proxy pools; without it the pool calls are FAILED_PRECONDITION. */
    proxy?: ProxyGateway;
  }) {
    this.#topology = options.topology;
    this.#views = options.views;
    this.#state = options.state;
    this.#overlay = options.overlay;
    this.#pools = new PoolControl(options.proxy);
    this.#clients = new ClientControl(options.views);
    this.#upstream = new UpstreamControl({
      topology: this.#topology,
      overlay: () => this.#overlay,
      persist: (edit) => this.#persist(edit),
    });
  }

  addSource(raw: unknown): Promise<SourceView> {
    return this.#change(async () => {
      const config = parseSource(raw);
      if (this.#topology.sources.has(config.id)) {
        throw new ControlError(
          "ALREADY_EXISTS",
          `source "${config.id}" already exists`,
        );
      }
      await this.#persist((o) => {
        o.sources[config.id] = { config: { ...config } };
        // A source of this id removed from the config file may have left
        // its standing topics behind; the new source starts from its own.
        delete o.standing[config.id];
      });
      this.#topology.addSource(config, "control");
      this.#emit({ type: "source", source: config.id, change: "added" });
      return this.getSource(config.id);
    });
  }

  updateSource(raw: unknown): Promise<SourceView> {
    return this.#change(async () => {
      const config = parseSource(withStanding(raw, this.#overlay));
      this.#requireSource(config.id);
      await this.#persist((o) => {
        o.sources[config.id] = { config: { ...config } };
      });
      await this.#topology.updateSource(config, "control");
      this.#emit({ type: "source", source: config.id, change: "updated" });
      return this.getSource(config.id);
    });
  }

  removeSource(id: string): Promise<void> {
    return this.#change(async () => {
      const runtime = this.#requireSource(id);
      const group = runtime.group && this.#topology.groups.get(runtime.group);
      let shrunk: GroupConfig | undefined;
      if (group) {
        const rest = group.config.sources.filter(
          (m) => (typeof m === "string" ? m : m.id) !== id,
        );
        if (rest.length === 0) {
          throw new ControlError(
            "FAILED_PRECONDITION",
            `source "${id}" is the last member of group ` +
              `"${group.config.id}"; remove the group first`,
          );
        }
        shrunk = { ...group.config, sources: rest };
      }
      await this.#persist((o) => {
        o.sources[id] = { removed: true };
        o.paused = o.paused.filter((p) => p !== id);
        delete o.standing[id];
        if (shrunk) o.groups[shrunk.id] = { config: { ...shrunk } };
      });
      if (shrunk) this.#topology.setGroup(shrunk, "control");
      await this.#topology.removeSource(id);
      this.#emit({ type: "source", source: id, change: "removed" });
    });
  }

  getSource(id: string): SourceView {
    return this.#views.source(this.#requireSource(id));
  }

  listSources(): SourceView[] {
    return [...this.#topology.sources.values()]
      .sort((a, b) => compare(a.config.id, b.config.id))
      .map((runtime) => this.#views.source(runtime));
  }

  pauseSource(id: string): Promise<SourceView> {
    return this.#change(async () => {
      this.#requireSource(id);
      await this.#persist((o) => {
        if (!o.paused.includes(id)) o.paused.push(id);
      });
      await this.#topology.pauseSource(id);
      this.#emit({ type: "source", source: id, change: "paused" });
      return this.getSource(id);
    });
  }

  resumeSource(id: string): Promise<SourceView> {
    return this.#change(async () => {
      this.#requireSource(id);
      await this.#persist((o) => {
        o.paused = o.paused.filter((p) => p !== id);
      });
      this.#topology.resumeSource(id);
      this.#emit({ type: "source", source: id, change: "resumed" });
      return this.getSource(id);
    });
  }

  setGroup(raw: unknown): Promise<GroupView> {
    return this.#change(async () => {
      const config = parseGroup(raw);
      this.#checkMembers(config);
      const existed = this.#topology.groups.has(config.id);
      await this.#persist((o) => {
        o.groups[config.id] = { config: { ...config } };
      });
      this.#topology.setGroup(config, "control");
      const change = existed ? "updated" : "added";
      this.#emit({ type: "group", group: config.id, change });
      return this.#groupView(config.id);
    });
  }

  removeGroup(id: string): Promise<void> {
    return this.#change(async () => {
      if (!this.#topology.groups.has(id)) {
        throw new ControlError("NOT_FOUND", `no group "${id}"`);
      }
      await this.#persist((o) => {
        o.groups[id] = { removed: true };
      });
      this.#topology.removeGroup(id);
      this.#emit({ type: "group", group: id, change: "removed" });
    });
  }

  listGroups(): GroupView[] {
    return [...this.#topology.groups.keys()]
      .sort(compare)
      .map((id) => this.#groupView(id));
  }

  failover(groupId: string, source: string): GroupView {
    const group = this.#topology.groups.get(groupId);
    if (group === undefined) {
      throw new ControlError("NOT_FOUND", `no group "${groupId}"`);
    }
    if (group.config.mode !== "active-standby") {
      throw new ControlError(
        "INVALID_ARGUMENT",
        `group "${groupId}" is ${group.config.mode}; only an ` +
          "active-standby group has an active member",
        [{ field: "group", message: "not active-standby" }],
      );
    }
    if (!memberIds(group.config).includes(source)) {
      throw new ControlError(
        "INVALID_ARGUMENT",
        `source "${source}" is not a member of group "${groupId}"`,
        [{ field: "source", message: "not a member of the group" }],
      );
    }
    try {
      group.pipeline.forceActive(source);
    } catch (err) {
      if (!(err instanceof PipelineError)) throw err;
      throw new ControlError("FAILED_PRECONDITION", err.message);
    }
    return this.#groupView(groupId);
  }

  listTopics(pattern?: string): TopicView[] {
    if (pattern !== undefined && pattern !== "") {
      try {
        validatePattern(pattern);
      } catch (err) {
        if (!(err instanceof TopicError)) throw err;
        throw ControlError.invalid([
          { field: "pattern", message: err.message },
        ]);
      }
    }
    return this.#views.topics(pattern || undefined);
  }

  listClients(): ClientView[] {
    return this.#clients.listClients();
  }

  disconnectClient(id: string, reason: string): void {
    this.#clients.disconnectClient(id, reason);
  }

  subscribeClient(
    id: string,
    patterns: readonly string[],
    policy?: SlowConsumerPolicy,
  ): ClientView {
    return this.#clients.subscribeClient(id, patterns, policy);
  }

  unsubscribeClient(id: string, patterns: readonly string[]): ClientView {
    return this.#clients.unsubscribeClient(id, patterns);
  }

  listSubscriptions(pattern?: string): SubscriptionView[] {
    return this.#clients.listSubscriptions(pattern);
  }

  listUpstreamSubscriptions(source?: string): SourceUpstreamView[] {
    return this.#upstream.list(source);
  }

  addStandingSubscription(
    source: string,
    topic: string,
  ): Promise<SourceUpstreamView> {
    return this.#change(() => this.#upstream.addStanding(source, topic));
  }

  removeStandingSubscription(
    source: string,
    topic: string,
  ): Promise<SourceUpstreamView> {
    return this.#change(() => this.#upstream.removeStanding(source, topic));
  }

  // Pool changes are not persisted (see PoolControl); they still queue
  // behind other changes so each call sees the one before.

  addPool(raw: unknown): Promise<PoolView> {
    return this.#change(async () => this.#pools.addPool(raw));
  }

  removePool(id: string): Promise<void> {
    return this.#change(async () => this.#pools.removePool(id));
  }

  addBackend(pool: string, raw: unknown): Promise<PoolView> {
    return this.#change(async () => this.#pools.addBackend(pool, raw));
  }

  removeBackend(pool: string, id: string): Promise<void> {
    return this.#change(async () => this.#pools.removeBackend(pool, id));
  }

  drainBackend(pool: string, id: string, move: boolean): Promise<PoolView> {
    return this.#change(async () => this.#pools.drainBackend(pool, id, move));
  }

  listPools(): PoolView[] {
    return this.#pools.listPools();
  }

  /** Reports an event that the topology or a server saw. */
  report(event: GatewayEvent): void {
    this.events.next(event);
  }

  #emit(event: DistributiveOmit<GatewayEvent, "at">): void {
    this.events.next({ ...event, at: Date.now() } as GatewayEvent);
  }

  #groupView(id: string): GroupView {
    const view = this.#views.group(id);
    if (view === undefined)
      throw new ControlError("NOT_FOUND", `no group "${id}"`);
    return view;
  }

  #requireSource(id: string) {
    const runtime = this.#topology.sources.get(id);
    if (runtime === undefined) {
      throw new ControlError("NOT_FOUND", `no source "${id}"`);
    }
    return runtime;
  }

  /** Members must exist, appear once, and belong to no other group. */
  #checkMembers(config: GroupConfig): void {
    const problems: ControlProblem[] = [];
    const seen = new Set<string>();
    memberIds(config).forEach((id, i) => {
      const field = `sources[${i}]`;
      const runtime = this.#topology.sources.get(id);
      if (runtime === undefined) {
        problems.push({ field, message: `unknown source "${id}"` });
      } else if (seen.has(id)) {
        problems.push({ field, message: `source "${id}" is listed twice` });
      }
      seen.add(id);
    });
    if (problems.length > 0) throw ControlError.invalid(problems);

    for (const id of seen) {
      const other = this.#topology.sources.get(id)?.group;
      if (other !== undefined && other !== config.id) {
        throw new ControlError(
          "FAILED_PRECONDITION",
          `source "${id}" is a member of group "${other}"; ` +
            "remove it there first",
        );
      }
    }
  }

  /** Writes the overlay with `edit` applied; memory changes only after. */
  async #persist(edit: (overlay: StateOverlay) => void): Promise<void> {
    const next = structuredClone(this.#overlay);
    edit(next);
    await this.#state?.save(next);
    this.#overlay = next;
  }

  #change<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => {});
    return run;
  }
}

function parseSource(raw: unknown): SourceConfig {
  return parseWith(sourceSchema, raw);
}

function parseGroup(raw: unknown): GroupConfig {
  return parseWith(groupSchema, raw);
}

/** Validates with a config schema; every issue becomes a problem. */
function parseWith<T>(schema: ZodType<T>, raw: unknown): T {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw ControlError.invalid(
    result.error.issues.map((i) => ({
      field: i.path.length === 0 ? "" : formatPath(i.path),
      message: i.message,
    })),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown
  ? Omit<T, K>
  : never;
