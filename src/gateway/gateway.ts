import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { mergeMap, type Observable, type Subscription } from "rxjs";
import { createTranslator } from "../codecs/index.js";
import type { Config, DedupeConfig, SourceConfig } from "../config/index.js";
import type { SourceMessage } from "../envelope/index.js";
import { GroupPipeline } from "../pipeline/index.js";
import { Fanout } from "../serve/index.js";
import { WsGateway } from "../serve/ws/index.js";
import { SourceConnection } from "../sources/index.js";
import { TopicGraph } from "../topics/index.js";
import { handleHttpRequest } from "./http-routes.js";

/** A running source: its connection and the translator behind it. */
export interface SourceRuntime {
  readonly config: SourceConfig;
  readonly connection: SourceConnection;
  readonly translator: ReturnType<typeof createTranslator>;
  readonly group: string;
}

/**
 * One gateway process: sources, groups, the topic graph and the client
 * servers, wired together from a validated config.
 */
export class Gateway {
  readonly config: Config;
  readonly graph = new TopicGraph();
  readonly fanout = new Fanout(this.graph);
  readonly sources = new Map<string, SourceRuntime>();
  readonly groups = new Map<string, GroupPipeline>();
  readonly ws: WsGateway;

  readonly #log: Logger;
  readonly #http: Server;
  readonly #subscriptions: Subscription[] = [];
  #ready = false;

  constructor(config: Config, logger: Logger) {
    this.config = config;
    this.#log = logger;
    this.ws = new WsGateway({
      fanout: this.fanout,
      limits: config.limits,
      logger,
    });
    this.#http = createServer((req, res) =>
      handleHttpRequest(req, res, { ready: () => this.#ready }),
    );
    this.ws.attach(this.#http);
    this.#buildPipeline();
  }

  /** Listens on `server.host:server.port` and connects every source. */
  async start(): Promise<AddressInfo> {
    const { host, port } = this.config.server;
    await new Promise<void>((resolve, reject) => {
      this.#http.once("error", reject);
      this.#http.listen(port, host, () => {
        this.#http.off("error", reject);
        resolve();
      });
    });
    for (const source of this.sources.values()) {
      source.connection.start();
    }
    this.#ready = true;
    const address = this.address;
    this.#log.info(
      { host: address.address, port: address.port, sources: this.sources.size },
      "gateway listening",
    );
    return address;
  }

  /** Where the HTTP and WebSocket server listens; valid after start(). */
  get address(): AddressInfo {
    return this.#http.address() as AddressInfo;
  }

  /** Closes client sessions and sources, then the HTTP server. */
  async stop(): Promise<void> {
    this.#ready = false;
    this.ws.close();
    const closed = new Promise<void>((resolve) =>
      this.#http.close(() => resolve()),
    );
    this.#http.closeAllConnections();
    await Promise.all(
      [...this.sources.values()].map((s) => s.connection.stop()),
    );
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    for (const group of this.groups.values()) group.close();
    await closed;
    this.#log.info("gateway stopped");
  }

  #buildPipeline(): void {
    const memberOf = new Map<string, string>();
    for (const group of this.config.groups) {
      this.#addGroup(group.id, group.dedupe);
      for (const member of group.sources) {
        memberOf.set(typeof member === "string" ? member : member.id, group.id);
      }
    }
    for (const source of this.config.sources) {
      // A source in no group is a group of one, named after the source.
      let groupId = memberOf.get(source.id);
      if (groupId === undefined) {
        groupId = source.id;
        this.#addGroup(groupId, { by: "none" });
      }
      this.#addSource(source, groupId);
    }
  }

  #addGroup(id: string, dedupe: DedupeConfig): void {
    const group = new GroupPipeline({ id, dedupe });
    this.groups.set(id, group);
    const subscription = group.output.subscribe((message) =>
      this.fanout.publish(message),
    );
    this.#subscriptions.push(subscription);
  }

  #addSource(config: SourceConfig, groupId: string): void {
    // Both components add the source id to their own log lines.
    const logger = this.#log;
    const connection = new SourceConnection(config, {
      logger,
      maxFrameBytes: this.config.limits.maxSourceFrameBytes,
    });
    const translator = createTranslator(config.codec, config.id, logger);
    const messages: Observable<SourceMessage> = connection.frames.pipe(
      mergeMap((frame) => translator.translate(frame)),
    );
    this.groups.get(groupId)?.addSource(config.id, messages);
    this.sources.set(config.id, {
      config,
      connection,
      translator,
      group: groupId,
    });
  }
}
