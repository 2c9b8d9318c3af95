import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Config } from "../config/index.js";
import { createDashboard, type Dashboard } from "../dashboard/index.js";
import type { GroupEvent } from "../pipeline/index.js";
import { ProxyGateway } from "../proxy/index.js";
import {
  createGrpcServer,
  type GrpcServer,
  isLoopback,
  StreamService,
} from "../serve/grpc/index.js";
import { Fanout } from "../serve/index.js";
import { type UpgradeHandler, WsGateway } from "../serve/ws/index.js";
import type { UpstreamSubscriptions } from "../sources/index.js";
import { emptyOverlay, StateFile } from "../state/index.js";
import {
  GatewayTelemetry,
  NOT_STARTED,
  type SessionChangeLike,
} from "../telemetry/index.js";
import { TopicGraph } from "../topics/index.js";
import type { GatewayControl, Transport } from "./control-api.js";
import { ControlLayer } from "./gateway-control.js";
import { handleHttpRequest } from "./http-routes.js";
import { mergeState } from "./merge-state.js";
import { RateSampler } from "./rate-sampler.js";
import { Topology } from "./topology.js";
import { UpstreamDemand } from "./upstream-demand.js";
import { GatewayViews } from "./views.js";

/** A client session opening or closing, on either transport. */
type SessionChange = SessionChangeLike & {
  readonly session: { readonly id: string; readonly remoteAddress: string };
};

/** Options of {@link Gateway} beyond the config file. */
export interface GatewayOptions {
  /**
   * Where the control plane's state file lives. Without it, control-plane
   * changes last until the process ends.
   */
  readonly dataDir?: string;
  /** Names the config in errors, normally its file path. */
  readonly configLabel?: string;
}

/**
 * One gateway process: sources, groups, the topic graph, the client
 * servers and the control plane, wired together from a validated config.
 */
export class Gateway {
  readonly config: Config;
  readonly graph: TopicGraph;
  readonly fanout: Fanout;
  readonly topology: Topology;
  readonly ws: WsGateway;
  /** StreamService and its Subscribe sessions (`grpc-N`). */
  readonly grpcStreams: StreamService;
  /** Spans, metrics and readiness of this gateway. */
  readonly telemetry = new GatewayTelemetry();
  /** What subscribers hold, as on-demand upstream subscriptions. */
  readonly demand: UpstreamDemand;

  readonly #log: Logger;
  readonly #http: Server;
  readonly #options: GatewayOptions;
  readonly #rates: RateSampler;
  readonly #views: GatewayViews;
  #control: ControlLayer | undefined;
  #grpc: GrpcServer | undefined;
  #dashboard: Dashboard | undefined;
  /** WebSocket proxy pools on their own client paths. */
  readonly proxy: ProxyGateway;
  #grpcPort = 0;
  #ready = false;
  /**
   * What the gRPC health service was last told; undefined at first, since
   * the gRPC server says SERVING on its own when it starts.
   */
  #serving: boolean | undefined;
  #servingTimer: NodeJS.Timeout | undefined;

  constructor(config: Config, logger: Logger, options: GatewayOptions = {}) {
    this.config = config;
    this.#log = logger;
    this.#options = options;
    this.graph = new TopicGraph({
      historyMessages: config.limits.historyMessages,
      historyMaxAgeMs: config.limits.historyMaxAgeMs,
    });
    this.fanout = new Fanout(this.graph);
    this.fanout.observeDeliveries((transport, ingestTime) =>
      this.telemetry.recordDelivery(transport, ingestTime),
    );
    this.ws = new WsGateway({
      fanout: this.fanout,
      limits: config.limits,
      logger,
      onSessionChange: (change) => this.#clientChanged("websocket", change),
    });
    this.grpcStreams = new StreamService({
      fanout: this.fanout,
      limits: config.limits,
      auth: config.auth,
      logger,
      onSessionChange: (change) => this.#clientChanged("grpc", change),
    });
    this.demand = new UpstreamDemand(
      () => this.#onDemandSources(),
      logger.child({ component: "upstream-demand" }),
    );
    this.fanout.setDemand(this.demand);
    this.topology = new Topology({
      logger,
      maxSourceFrameBytes: config.limits.maxSourceFrameBytes,
      hooks: {
        onGroupEvent: (event) => this.#publish(event),
        onFailover: (event) => {
          this.telemetry.failover(event);
          this.#control?.report({ type: "failover", ...event });
        },
        onHealth: (source, from, to) => {
          const url = this.topology.sources.get(source)?.config.url ?? "";
          this.telemetry.sourceHealth(source, url, to);
          this.#control?.report({
            type: "source-health",
            source,
            from: from.state,
            to,
            at: to.since,
          });
          this.#syncServing();
        },
        onUpstreamChange: (source, event) => {
          if (event.change === "rejected") {
            this.demand.rejected(source, event.topic, event.reason ?? "");
          }
          this.#control?.report({
            type: "upstream-subscription",
            source,
            ...event,
            at: Date.now(),
          });
        },
        onUpstreamReady: (upstream) => this.demand.sourceReady(upstream),
      },
    });
    // The sampler reads the views' counters; the views read its rates.
    this.#rates = new RateSampler(() => this.#views.counters());
    this.#views = new GatewayViews({
      topology: this.topology,
      graph: this.graph,
      fanout: this.fanout,
      ws: this.ws,
      streams: this.grpcStreams,
      rates: this.#rates,
    });
    this.#http = createServer((req, res) => {
      if (this.#dashboard?.handleHttp(req, res)) return;
      handleHttpRequest(req, res, {
        readiness: () =>
          this.#ready ? this.telemetry.readiness() : NOT_STARTED,
        metrics: () => this.telemetry.renderMetrics(),
      });
    });
    this.proxy = new ProxyGateway({
      pools: config.pools,
      logger,
      onSessionChange: (change) => this.telemetry.proxySessionChange(change),
    });
    this.telemetry.watchProxy(this.proxy);
    this.ws.attach(this.#http, () => this.#upgradeHandlers());
  }

  /** The control plane; valid after start(). */
  get control(): GatewayControl {
    if (this.#control === undefined) throw new Error("gateway not started");
    return this.#control;
  }

  /**
   * Loads the state file, builds the sources and groups, listens on
   * `server.host:server.port` and connects every source that is not paused.
   */
  async start(): Promise<AddressInfo> {
    await this.#build();
    this.#dashboard = createDashboard({
      control: this.control,
      auth: this.config.auth,
      logger: this.#log,
    });
    await this.#listen();
    await this.#startGrpc();
    this.topology.start();
    this.#rates.start();
    this.#ready = true;
    this.#syncServing();
    // Failovers and group changes move readiness too; a poll catches them.
    this.#servingTimer = setInterval(() => this.#syncServing(), 1000);
    this.#servingTimer.unref();
    const address = this.address;
    this.#log.info(
      {
        host: address.address,
        port: address.port,
        grpcPort: this.#grpcPort,
        sources: this.topology.sources.size,
      },
      "gateway listening",
    );
    return address;
  }

  /** The port gRPC listens on; valid after start(). */
  get grpcPort(): number {
    return this.#grpcPort;
  }

  /** Where the HTTP and WebSocket server listens; valid after start(). */
  get address(): AddressInfo {
    return this.#http.address() as AddressInfo;
  }

  /** Closes client sessions and sources, then the HTTP server. */
  async stop(): Promise<void> {
    this.#ready = false;
    clearInterval(this.#servingTimer);
    this.#syncServing();
    this.#rates.stop();
    // Subscribe calls last until the caller hangs up; ending them first
    // keeps the gRPC server from waiting out its shutdown grace.
    this.grpcStreams.endAll();
    await this.#grpc?.stop();
    this.ws.close();
    this.#dashboard?.close();
    this.proxy.close();
    const closed = new Promise<void>((resolve) =>
      this.#http.close(() => resolve()),
    );
    this.#http.closeAllConnections();
    await this.topology.stop();
    this.#control?.events.complete();
    await closed;
    await this.telemetry.close();
    this.#log.info("gateway stopped");
  }

  async #build(): Promise<void> {
    const dataDir = this.#options.dataDir;
    const state = dataDir === undefined ? undefined : new StateFile(dataDir);
    const overlay = (await state?.load()) ?? emptyOverlay();
    const label = [this.#options.configLabel ?? "config", state?.file]
      .filter((part) => part !== undefined)
      .join(" + ");
    const effective = mergeState(this.config, overlay, label);

    for (const source of effective.config.sources) {
      const origin = effective.sourceOrigins.get(source.id) ?? "config";
      this.topology.addSource(source, origin, effective.paused.has(source.id));
    }
    for (const group of effective.config.groups) {
      const origin = effective.groupOrigins.get(group.id) ?? "config";
      this.topology.setGroup(group, origin);
    }
    this.#control = new ControlLayer({
      topology: this.topology,
      views: this.#views,
      state,
      overlay,
      proxy: this.proxy,
    });
    this.telemetry.watch(this.#control);
  }

  /**
   * Starts gRPC on `server.grpcPort`. Without control tokens the control
   * plane is unauthenticated, so it is bound to loopback whatever
   * `server.host` says, and the log says so.
   */
  async #startGrpc(): Promise<void> {
    const { server, auth } = this.config;
    let host = server.host;
    if (auth.control.tokens.length === 0 && !isLoopback(host)) {
      this.#log.warn(
        { host, grpcHost: "127.0.0.1" },
        "no control tokens configured: gRPC listens on loopback only",
      );
      host = "127.0.0.1";
    }
    this.#grpc = createGrpcServer({
      control: this.control,
      config: { ...server, host },
      auth,
      logger: this.#log,
      services: [this.grpcStreams.binding],
    });
    this.#grpcPort = await this.#grpc.start();
  }

  async #listen(): Promise<void> {
    const { host, port } = this.config.server;
    await new Promise<void>((resolve, reject) => {
      this.#http.once("error", reject);
      this.#http.listen(port, host, () => {
        this.#http.off("error", reject);
        resolve();
      });
    });
  }

  #publish(event: GroupEvent): void {
    switch (event.type) {
      case "message":
        this.fanout.publish(event.message);
        return;
      // Clients get a stable reason code; the pipeline's wording, which
      // names sources and numbers, goes to the log for the operator.
      case "gap":
        this.#log.warn(
          { topic: event.topic, count: event.count, detail: event.reason },
          "messages missing from every source",
        );
        this.fanout.publishGap(event.topic, event.count, "missing-upstream");
        this.telemetry.recordGap("missing-upstream", event.count);
        return;
      case "reset":
        this.#log.warn(
          { topic: event.topic, detail: event.reason },
          "upstream sequence restarted; new topic epoch",
        );
        this.fanout.publishReset(event.topic, "upstream-reset");
        this.telemetry.recordReset("upstream-reset");
        return;
    }
  }

  /** Makes the gRPC health service say what `/readyz` says. */
  #syncServing(): void {
    const serving = this.#ready && this.telemetry.readiness().ready;
    if (serving === this.#serving) return;
    this.#serving = serving;
    this.#grpc?.setServing(serving);
  }

  /** The upstream subscriptions of every source with `onDemand` rules. */
  *#onDemandSources(): Generator<UpstreamSubscriptions> {
    for (const runtime of this.topology.sources.values()) {
      if (runtime.upstream !== undefined) yield runtime.upstream;
    }
  }

  /** Who takes WebSocket upgrades on paths other than `/ws`. */
  #upgradeHandlers(): UpgradeHandler[] {
    const proxy: UpgradeHandler = (req, socket, head) =>
      this.proxy.handleUpgrade(req, socket, head);
    const dashboard = this.#dashboard;
    if (dashboard === undefined) return [proxy];
    return [
      (req, socket, head) => dashboard.handleUpgrade(req, socket, head),
      proxy,
    ];
  }

  /** Reports a WebSocket or gRPC session opening or closing. */
  #clientChanged(transport: Transport, change: SessionChange): void {
    const { session, connected, reason } = change;
    this.telemetry.sessionChange(change, transport);
    this.#control?.report({
      type: "client",
      client: session.id,
      transport,
      connected,
      remoteAddress: session.remoteAddress,
      reason,
      at: Date.now(),
    });
  }
}
