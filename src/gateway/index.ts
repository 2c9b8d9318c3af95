export type {
  Change,
  ClientView,
  ControlErrorCode,
  ControlProblem,
  GatewayControl,
  GatewayEvent,
  GroupMemberView,
  GroupView,
  Origin,
  SourceCounters,
  SourceUpstreamView,
  SourceView,
  SubscriberView,
  SubscriptionOrigin,
  SubscriptionView,
  TopicView,
  Transport,
  UpstreamChange,
  UpstreamSubscriptionState,
  UpstreamSubscriptionView,
} from "./control-api.js";
export { ControlError } from "./control-api.js";
export type { GatewayOptions } from "./gateway.js";
export { Gateway } from "./gateway.js";
export type { SourceRuntime } from "./topology.js";
