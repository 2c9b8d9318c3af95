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
  SourceView,
  SubscriberView,
  SubscriptionOrigin,
  SubscriptionView,
  TopicView,
  Transport,
} from "./control-api.js";
export { ControlError } from "./control-api.js";
export type { GatewayOptions } from "./gateway.js";
export { Gateway } from "./gateway.js";
export type { SourceRuntime } from "./topology.js";
