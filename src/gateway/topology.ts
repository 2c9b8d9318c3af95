import type { Logger } from "pino";
import { of, Subject, type Subscription } from "rxjs";
import { createTranslator, type Translator } from "../codecs/index.js";
import type { GroupConfig, SourceConfig } from "../config/index.js";
import {
  type FailoverEvent,
  type GroupEvent,
  GroupPipeline,
} from "../pipeline/index.js";
import {
  healthPaused,
  SourceConnection,
  type SourceHealth,
  type UpstreamChangeEvent,
  UpstreamSubscriptions,
} from "../sources/index.js";
import type { Origin } from "./control-api.js";
import { translatedMessages } from "./translated-messages.js";

/** What each standby of an active-standby group keeps. */
interface StandbyBufferLimits {
  readonly maxMessages: number;
  readonly maxAgeMs: number;
}

/** A source as the gateway runs it. */
export interface SourceRuntime {
  config: SourceConfig;
  origin: Origin;
  /** Absent while paused. */
  connection: SourceConnection | undefined;
  translator: Translator;
  /** The explicit group it belongs to; undefined for a group of one. */
  group: string | undefined;
  /** Connects over the source's lifetime, across pauses and updates. */
  connects: number;
  pausedAt: number | undefined;
  healthWatch: Subscription | undefined;
  /** Its on-demand upstream subscriptions, when it has `onDemand` rules. */
  upstream: UpstreamSubscriptions | undefined;
}

/** A group as the gateway runs it. */
export interface GroupRuntime {
  readonly config: GroupConfig;
  readonly origin: Origin;
  readonly pipeline: GroupPipeline;
  readonly subscriptions: Subscription[];
}

/** What the topology reports to the gateway around it. */
export interface TopologyHooks {
  /** Every event a group emits, in order. */
  onGroupEvent(event: GroupEvent): void;
  onFailover(event: FailoverEvent): void;
  onHealth(source: string, from: SourceHealth, to: SourceHealth): void;
  /** A source's upstream subscription changed (see UpstreamSubscriptions). */
  onUpstreamChange(source: string, event: UpstreamChangeEvent): void;
  /**
   * A source with `onDemand` rules was added or replaced: its upstream
   * subscriptions start empty but for its standing topics.
   */
  onUpstreamReady(upstream: UpstreamSubscriptions): void;
}

/**
 * The running sources and groups, and the wiring between them. It trusts
 * its callers: validation and persistence happen in the control layer,
 * which calls this only with changes that are known to be valid.
 */
export class Topology {
  readonly sources = new Map<string, SourceRuntime>();
  readonly groups = new Map<string, GroupRuntime>();
  /** Groups of one, keyed by their source's id. */
  readonly solos = new Map<string, GroupRuntime>();

  readonly #log: Logger;
  readonly #hooks: TopologyHooks;
  readonly #maxFrameBytes: number;
  #started = false;

  constructor(options: {
    logger: Logger;
    hooks: TopologyHooks;
    maxSourceFrameBytes: number;
  }) {
    this.#log = options.logger;
    this.#hooks = options.hooks;
    this.#maxFrameBytes = options.maxSourceFrameBytes;
  }

  /** Connects every source that is not paused; later ones start at once. */
  start(): void {
    this.#started = true;
    for (const source of this.sources.values()) source.connection?.start();
  }

  addSource(config: SourceConfig, origin: Origin, paused = false): void {
    const runtime: SourceRuntime = {
      config,
      origin,
      connection: undefined,
      translator: createTranslator(config.codec, config.id, this.#log),
      group: undefined,
      connects: 0,
      pausedAt: paused ? Date.now() : undefined,
      healthWatch: undefined,
      upstream: undefined,
    };
    this.sources.set(config.id, runtime);
    runtime.upstream = this.#createUpstream(runtime);
    if (!paused) this.#connect(runtime);
    this.#attach(runtime, this.#openSolo(config.id));
    if (runtime.upstream) this.#hooks.onUpstreamReady(runtime.upstream);
  }

  async removeSource(id: string): Promise<void> {
    const runtime = this.#source(id);
    this.#detach(runtime);
    this.sources.delete(id);
    runtime.upstream?.close();
    await this.#disconnect(runtime);
  }

  /** Replaces a source's settings, keeping its group and counters' ids. */
  async updateSource(config: SourceConfig, origin: Origin): Promise<void> {
    const runtime = this.#source(config.id);
    this.#detach(runtime);
    await this.#disconnect(runtime);
    runtime.config = config;
    runtime.origin = origin;
    runtime.translator = createTranslator(config.codec, config.id, this.#log);
    // The new connection starts with no upstream subscription; the old
    // set is rebuilt from what subscribers hold under the new rules.
    runtime.upstream?.close();
    runtime.upstream = this.#createUpstream(runtime);
    if (runtime.pausedAt === undefined) this.#connect(runtime);
    this.#attach(runtime, this.#groupOf(runtime));
    if (runtime.upstream) this.#hooks.onUpstreamReady(runtime.upstream);
  }

  async pauseSource(id: string): Promise<void> {
    const runtime = this.#source(id);
    if (runtime.pausedAt !== undefined) return;
    this.#detach(runtime);
    await this.#disconnect(runtime);
    runtime.pausedAt = Date.now();
    this.#attach(runtime, this.#groupOf(runtime));
  }

  resumeSource(id: string): void {
    const runtime = this.#source(id);
    if (runtime.pausedAt === undefined) return;
    this.#detach(runtime);
    runtime.pausedAt = undefined;
    this.#connect(runtime);
    this.#attach(runtime, this.#groupOf(runtime));
  }

  /** Creates or replaces a group; its members leave their old groups. */
  setGroup(config: GroupConfig, origin: Origin): void {
    const old = this.groups.get(config.id);
    const oldMembers = old === undefined ? [] : memberIds(old.config);
    if (old !== undefined) this.#closeGroup(old);

    const group = this.#createGroup(config, origin);
    this.groups.set(config.id, group);
    for (const id of memberIds(config)) {
      const runtime = this.#source(id);
      this.#detach(runtime);
      runtime.group = config.id;
      this.#attach(runtime, group);
    }
    for (const id of oldMembers) {
      const runtime = this.sources.get(id);
      if (runtime !== undefined && runtime.group === undefined) {
        this.#attach(runtime, this.#openSolo(id));
      }
    }
  }

  /** Removes a group; each former member becomes a group of one. */
  removeGroup(id: string): void {
    const group = this.groups.get(id);
    if (group === undefined) return;
    this.groups.delete(id);
    this.#closeGroup(group);
    for (const member of memberIds(group.config)) {
      const runtime = this.sources.get(member);
      if (runtime === undefined) continue;
      this.#attach(runtime, this.#openSolo(member));
    }
  }

  /** The current health of a source, `paused` while held down. */
  healthOf(runtime: SourceRuntime): SourceHealth {
    if (runtime.pausedAt !== undefined || runtime.connection === undefined) {
      return healthPaused("paused by the control plane", runtime.pausedAt ?? 0);
    }
    return runtime.connection.currentHealth;
  }

  /** The pipeline that runs a source's messages. */
  pipelineOf(runtime: SourceRuntime): GroupPipeline | undefined {
    return (
      runtime.group === undefined
        ? this.solos.get(runtime.config.id)
        : this.groups.get(runtime.group)
    )?.pipeline;
  }

  async stop(): Promise<void> {
    const runtimes = [...this.sources.values()];
    // Sessions closing at shutdown start lingers; none may fire after.
    for (const runtime of runtimes) runtime.upstream?.close();
    await Promise.all(runtimes.map((r) => this.#disconnect(r)));
    for (const group of this.groups.values()) this.#closeGroup(group);
    for (const solo of this.solos.values()) this.#closeGroup(solo);
    this.groups.clear();
    this.solos.clear();
  }

  #source(id: string): SourceRuntime {
    const runtime = this.sources.get(id);
    if (runtime === undefined) throw new Error(`no source "${id}"`);
    return runtime;
  }

  #groupOf(runtime: SourceRuntime): GroupRuntime {
    if (runtime.group !== undefined) {
      const group = this.groups.get(runtime.group);
      if (group !== undefined) return group;
    }
    return this.#openSolo(runtime.config.id);
  }

  #openSolo(id: string): GroupRuntime {
    const existing = this.solos.get(id);
    if (existing !== undefined) return existing;
    const config: GroupConfig = {
      id,
      mode: "active-active",
      sources: [id],
      dedupe: { by: "none" },
      failback: { mode: "manual" },
    };
    const solo = this.#createGroup(config, "config");
    this.solos.set(id, solo);
    return solo;
  }

  #createGroup(config: GroupConfig, origin: Origin): GroupRuntime {
    const pipeline = new GroupPipeline({
      id: config.id,
      mode: config.mode,
      dedupe: config.dedupe,
      failback: config.failback,
      dataDeadlineMs: config.dataDeadlineMs,
      standbyBuffer: this.#standbyBuffer(config),
      logger: this.#log,
    });
    const subscriptions = [
      pipeline.output.subscribe((event) => this.#hooks.onGroupEvent(event)),
      pipeline.failovers.subscribe((event) => this.#hooks.onFailover(event)),
    ];
    return { config, origin, pipeline, subscriptions };
  }

  /**
   * A standby must still hold what the active missed while it was being
   * declared down: the buffer reaches back over the slowest member's
   * detection time, two ping intervals or its stale timeout, plus a second.
   */
  #standbyBuffer(config: GroupConfig): StandbyBufferLimits {
    let detectionMs = 0;
    for (const id of memberIds(config)) {
      const source = this.sources.get(id)?.config;
      if (source === undefined) continue;
      const heartbeat = source.heartbeat;
      const pingMs = heartbeat.type === "ping" ? 2 * heartbeat.intervalMs : 0;
      detectionMs = Math.max(detectionMs, pingMs, source.staleAfterMs);
    }
    return {
      maxMessages: config.standbyBuffer?.maxMessages ?? 50_000,
      maxAgeMs: config.standbyBuffer?.maxAgeMs ?? detectionMs + 1000,
    };
  }

  #closeGroup(group: GroupRuntime): void {
    for (const subscription of group.subscriptions) subscription.unsubscribe();
    group.pipeline.close();
    for (const id of memberIds(group.config)) {
      const runtime = this.sources.get(id);
      if (runtime?.group === group.config.id) runtime.group = undefined;
    }
  }

  /** Feeds a source's translated messages into a group. */
  #attach(runtime: SourceRuntime, group: GroupRuntime): void {
    const id = runtime.config.id;
    if (group !== this.solos.get(id)) this.#closeSolo(id);
    const connection = runtime.connection;
    const translator = runtime.translator;
    const messages =
      connection === undefined
        ? new Subject<never>()
        : translatedMessages(connection.frames, translator);
    const health = connection?.health ?? of(this.healthOf(runtime));
    group.pipeline.addSource(id, messages, {
      priority: priorityOf(group.config, id),
      health,
    });
  }

  #detach(runtime: SourceRuntime): void {
    this.pipelineOf(runtime)?.removeSource(runtime.config.id);
  }

  #closeSolo(id: string): void {
    const solo = this.solos.get(id);
    if (solo === undefined) return;
    this.solos.delete(id);
    this.#closeGroup(solo);
  }

  #connect(runtime: SourceRuntime): void {
    const upstream = runtime.upstream;
    const connection = new SourceConnection(runtime.config, {
      logger: this.#log,
      maxFrameBytes: this.#maxFrameBytes,
      afterConnect: upstream && (() => upstream.connected()),
    });
    runtime.connection = connection;
    let last = connection.currentHealth;
    runtime.healthWatch = connection.health.subscribe((health) => {
      if (health === last) return;
      if (health.state === "up" && last.state !== "up") runtime.connects++;
      // Whatever was subscribed went with the socket.
      if (health.state === "down") upstream?.disconnected();
      this.#hooks.onHealth(runtime.config.id, last, health);
      last = health;
    });
    if (upstream?.readsRejections) {
      // Completes when the connection stops; no unsubscribe needed.
      connection.frames.subscribe((frame) => upstream.inspect(frame));
    }
    if (this.#started) connection.start();
  }

  #createUpstream(runtime: SourceRuntime): UpstreamSubscriptions | undefined {
    const onDemand = runtime.config.onDemand;
    if (onDemand === undefined) return undefined;
    const id = runtime.config.id;
    return new UpstreamSubscriptions(onDemand, {
      source: id,
      logger: this.#log,
      send: (frame) => runtime.connection?.send(frame) ?? false,
      onChange: (event) => this.#hooks.onUpstreamChange(id, event),
    });
  }

  async #disconnect(runtime: SourceRuntime): Promise<void> {
    const connection = runtime.connection;
    runtime.connection = undefined;
    if (connection === undefined) return;
    await connection.stop();
    runtime.healthWatch?.unsubscribe();
    runtime.healthWatch = undefined;
  }
}

/** Member ids of a group config, in the order given. */
export function memberIds(config: GroupConfig): string[] {
  return config.sources.map((m) => (typeof m === "string" ? m : m.id));
}

/**
 * A member's priority: its configured one, or else one derived from list
 * order so that earlier members are preferred.
 */
function priorityOf(config: GroupConfig, id: string): number {
  const index = config.sources.findIndex(
    (m) => (typeof m === "string" ? m : m.id) === id,
  );
  const member = config.sources[index];
  if (typeof member === "object" && member.priority !== undefined) {
    return member.priority;
  }
  return -index;
}
