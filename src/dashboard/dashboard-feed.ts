import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import type { Subscription } from "rxjs";
import { type WebSocket, WebSocketServer } from "ws";
import type { GatewayControl, GatewayEvent } from "../gateway/index.js";
import {
  DASHBOARD_SUBPROTOCOL,
  type DashboardAuth,
  offeredSubprotocols,
} from "./dashboard-auth.js";
import { refuseUpgrade } from "./responses.js";
import { SnapshotBuilder } from "./snapshot.js";
import type { DashboardSnapshot, RateSample } from "./snapshot-rows.js";

/** The path of the dashboard's live socket. */
export const DASHBOARD_LIVE_PATH = "/dashboard/live";

/** Default of {@link DashboardFeedOptions.intervalMs}. */
export const DEFAULT_SNAPSHOT_INTERVAL_MS = 1000;

/** With no viewer, a snapshot is built on every this many beats. */
export const UNWATCHED_TICK_EVERY = 5;

/** Default of {@link DashboardFeedOptions.historySamples}: 5 minutes. */
export const DEFAULT_HISTORY_SAMPLES = 300;

/** Events kept for a page that opens later. */
const RECENT_EVENTS = 50;

/**
 * A viewer this far behind misses snapshots until it catches up, rather
 * than the gateway queueing them: the next one replaces them anyway.
 */
const MAX_VIEWER_BUFFERED_BYTES = 1024 * 1024;

/** Options of {@link DashboardFeed}. */
export interface DashboardFeedOptions {
  /** The views it reads and the events it forwards. */
  readonly control: Pick<
    GatewayControl,
    "listSources" | "listGroups" | "listTopics" | "listClients" | "events"
  >;
  readonly auth: DashboardAuth;
  readonly logger: Logger;
  /** How often a snapshot is built and sent; default 1000 ms. */
  readonly intervalMs?: number;
  /** Rate samples kept for the charts; default 300 (5 min at 1 s). */
  readonly historySamples?: number;
  /** Topics listed per snapshot; default 50. */
  readonly maxTopics?: number;
}

/** The first message on a new socket: chart history and recent events. */
export interface DashboardHello {
  readonly type: "hello";
  readonly intervalMs: number;
  readonly history: readonly RateSample[];
  readonly events: readonly GatewayEvent[];
}

/** A gateway event pushed as it happens. */
export interface DashboardEventMessage {
  readonly type: "event";
  readonly event: GatewayEvent;
}

/** Every message the socket sends, as JSON text frames. */
export type DashboardMessage =
  | DashboardHello
  | DashboardSnapshot
  | DashboardEventMessage;

/**
 * The dashboard's live socket. A snapshot is built once per interval,
 * whether anyone watches or not (so the charts have history when a page
 * opens), serialized once and sent to every viewer; gateway events are
 * forwarded as they happen. Viewers only listen: what they send is
 * ignored.
 */
export class DashboardFeed {
  readonly #options: DashboardFeedOptions;
  readonly #log: Logger;
  readonly #builder: SnapshotBuilder;
  readonly #wss: WebSocketServer;
  readonly #history: RateSample[] = [];
  readonly #events: GatewayEvent[] = [];
  readonly #intervalMs: number;
  readonly #historySamples: number;
  readonly #timer: NodeJS.Timeout;
  readonly #subscription: Subscription;
  #latest: DashboardSnapshot | undefined;
  /** Timer beats skipped in a row with no viewer. */
  #unwatched = 0;

  constructor(options: DashboardFeedOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#intervalMs = options.intervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS;
    this.#historySamples = options.historySamples ?? DEFAULT_HISTORY_SAMPLES;
    this.#builder = new SnapshotBuilder({ maxTopics: options.maxTopics });
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: 4096,
      perMessageDeflate: false,
      // Select ours and never echo the bearer value back.
      handleProtocols: (offered) =>
        offered.has(DASHBOARD_SUBPROTOCOL) ? DASHBOARD_SUBPROTOCOL : false,
    });
    this.#subscription = options.control.events.subscribe((event) =>
      this.#onEvent(event),
    );
    this.#timer = setInterval(() => this.#onTimer(), this.#intervalMs);
    this.#timer.unref();
  }

  /**
   * Ticks every interval while someone watches, and every
   * {@link UNWATCHED_TICK_EVERY}th otherwise: a snapshot reads every
   * client's view, which for tens of thousands of idle clients is most of
   * what an idle gateway does, and the history only needs to be coarse
   * until a viewer opens the page.
   */
  #onTimer(): void {
    if (this.viewers === 0 && ++this.#unwatched < UNWATCHED_TICK_EVERY) return;
    this.#unwatched = 0;
    this.tick();
  }

  /** Viewers connected now. */
  get viewers(): number {
    return this.#wss.clients.size;
  }

  /** The latest snapshot, built now when none was built yet. */
  snapshot(): DashboardSnapshot {
    this.#latest ??= this.#builder.build(this.#options.control);
    return this.#latest;
  }

  /** Builds a snapshot, records its sample and sends it to every viewer. */
  tick(now = Date.now()): DashboardSnapshot {
    const snapshot = this.#builder.build(this.#options.control, now);
    this.#latest = snapshot;
    this.#history.push(snapshot.sample);
    if (this.#history.length > this.#historySamples) this.#history.shift();
    this.#broadcast(JSON.stringify(snapshot));
    return snapshot;
  }

  /**
   * Takes the upgrade of {@link DASHBOARD_LIVE_PATH}; false for any other
   * path. Refuses with 401 without a valid token when tokens are
   * configured, and with 400 when the client offers subprotocols but not
   * {@link DASHBOARD_SUBPROTOCOL}.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (pathOf(req) !== DASHBOARD_LIVE_PATH) return false;

    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const access = this.#options.auth.checkUpgrade(req);
    if (!access.ok) {
      this.#log.info({ remote, reason: access.reason }, "viewer refused");
      refuseUpgrade(socket, 401, `${access.reason}; see the page's ?token=`);
      return true;
    }
    const offered = offeredSubprotocols(req);
    if (offered.length > 0 && !offered.includes(DASHBOARD_SUBPROTOCOL)) {
      refuseUpgrade(socket, 400, `subprotocol ${DASHBOARD_SUBPROTOCOL}`);
      return true;
    }

    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.#welcome(ws);
      this.#log.debug(
        { remote, viewer: access.viewer.name },
        "viewer connected",
      );
      ws.once("close", () =>
        this.#log.debug({ remote }, "viewer disconnected"),
      );
    });
    return true;
  }

  /** Stops the timer and the event subscription; closes viewers (1001). */
  close(): void {
    clearInterval(this.#timer);
    this.#subscription.unsubscribe();
    for (const ws of this.#wss.clients) ws.close(1001, "gateway stopping");
    this.#wss.close();
  }

  #welcome(ws: WebSocket): void {
    const hello: DashboardHello = {
      type: "hello",
      intervalMs: this.#intervalMs,
      history: this.#history,
      events: this.#events,
    };
    ws.send(JSON.stringify(hello));
    ws.send(JSON.stringify(this.snapshot()));
  }

  #onEvent(event: GatewayEvent): void {
    this.#builder.observe(event);
    this.#events.push(event);
    if (this.#events.length > RECENT_EVENTS) this.#events.shift();
    const message: DashboardEventMessage = { type: "event", event };
    this.#broadcast(JSON.stringify(message));
  }

  #broadcast(text: string): void {
    for (const ws of this.#wss.clients) {
      if (ws.readyState !== ws.OPEN) continue;
      if (ws.bufferedAmount > MAX_VIEWER_BUFFERED_BYTES) continue;
      ws.send(text);
    }
  }
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}
