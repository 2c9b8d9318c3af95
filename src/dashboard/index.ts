/**
 * The live dashboard at `/`: a static page and its socket on the
 * gateway's own HTTP port. The gateway calls {@link createDashboard} once
 * its control plane exists and routes requests and upgrades to it.
 */

export type { Dashboard, DashboardOptions } from "./dashboard.js";
export {
  createDashboard,
  DASHBOARD_PAGE_PATHS,
  DASHBOARD_SNAPSHOT_PATH,
} from "./dashboard.js";
export type {
  DashboardAccess,
  DashboardAuth,
  DashboardViewer,
  RefusalReason,
} from "./dashboard-auth.js";
export {
  BEARER_SUBPROTOCOL_PREFIX,
  bearerSubprotocol,
  createDashboardAuth,
  DASHBOARD_SUBPROTOCOL,
} from "./dashboard-auth.js";
export type {
  DashboardEventMessage,
  DashboardFeedOptions,
  DashboardHello,
  DashboardMessage,
} from "./dashboard-feed.js";
export {
  DASHBOARD_LIVE_PATH,
  DashboardFeed,
  DEFAULT_HISTORY_SAMPLES,
  DEFAULT_SNAPSHOT_INTERVAL_MS,
} from "./dashboard-feed.js";
export type { DashboardViews, SnapshotBuilderOptions } from "./snapshot.js";
export { DEFAULT_MAX_TOPICS, SnapshotBuilder } from "./snapshot.js";
export type {
  DashboardSnapshot,
  DropTotals,
  GroupRow,
  MemberRow,
  RateSample,
  SourceRow,
  TopicRow,
  TransportRow,
} from "./snapshot-rows.js";
