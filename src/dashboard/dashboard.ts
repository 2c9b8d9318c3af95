import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import type { AuthConfig } from "../config/index.js";
import type { GatewayControl } from "../gateway/index.js";
import { createDashboardAuth } from "./dashboard-auth.js";
import { DashboardFeed } from "./dashboard-feed.js";
import { reply, replyPage, replyUnauthorized } from "./responses.js";

/** Paths the page answers on. */
export const DASHBOARD_PAGE_PATHS: readonly string[] = ["/", "/dashboard"];

/** The latest snapshot as JSON, for scripts and curl. */
export const DASHBOARD_SNAPSHOT_PATH = "/dashboard/snapshot.json";

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /** The running gateway's control plane; it must exist already. */
  readonly control: GatewayControl;
  /**
   * `auth.control.tokens`: when any is configured, the page, the snapshot
   * and the socket need one of them (read or admin).
   */
  readonly auth: AuthConfig;
  readonly logger: Logger;
  /** How often a snapshot is sent; default 1000 ms. */
  readonly intervalMs?: number;
  /** Rate samples kept for the charts; default 300. */
  readonly historySamples?: number;
  /** Topics listed per snapshot, busiest first; default 50. */
  readonly maxTopics?: number;
}

/** The dashboard's handlers, for the gateway's HTTP server to call. */
export interface Dashboard {
  /**
   * Answers `/`, `/dashboard` and `/dashboard/snapshot.json` and returns
   * true; false for any other path, which the caller then answers.
   */
  handleHttp(req: IncomingMessage, res: ServerResponse): boolean;
  /**
   * Takes the upgrade of `/dashboard/live` and returns true; false for
   * any other path.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** The live feed behind the socket (snapshots, viewers). */
  readonly feed: DashboardFeed;
  /** Stops the snapshot timer and closes every viewer. */
  close(): void;
}

/** The page, read once: one static file with its style and script. */
const PAGE = readFileSync(new URL("./page.html", import.meta.url));

/**
 * Creates the live dashboard of a running gateway: a static page at `/`
 * whose script opens `/dashboard/live` on the same port and renders the
 * snapshot sent every second and the events pushed as they happen.
 * Call it once the control plane exists and {@link Dashboard.close} when
 * the gateway stops.
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  const logger = options.logger.child({ component: "dashboard" });
  const auth = createDashboardAuth(options.auth);
  const feed = new DashboardFeed({
    control: options.control,
    auth,
    logger,
    intervalMs: options.intervalMs,
    historySamples: options.historySamples,
    maxTopics: options.maxTopics,
  });

  const handleHttp = (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = (req.url ?? "/").split("?")[0];
    const page = DASHBOARD_PAGE_PATHS.includes(path);
    if (!page && path !== DASHBOARD_SNAPSHOT_PATH) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      reply(res, 405, "text/plain; charset=utf-8", "use GET\n", {
        allow: "GET, HEAD",
      });
      return true;
    }
    const access = auth.checkPage(req);
    if (!access.ok) {
      const remote = req.socket.remoteAddress;
      logger.info({ remote, path, reason: access.reason }, "viewer refused");
      replyUnauthorized(res, access.reason);
    } else if (page) {
      replyPage(res, PAGE);
    } else {
      const body = `${JSON.stringify(feed.snapshot())}\n`;
      reply(res, 200, "application/json", body);
    }
    return true;
  };

  return {
    handleHttp,
    handleUpgrade: (req, socket, head) => feed.handleUpgrade(req, socket, head),
    feed,
    close: () => feed.close(),
  };
}
