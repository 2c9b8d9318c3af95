import type {
  GatewayEvent,
  SourceUpstreamView,
  UpstreamChange,
  UpstreamSubscriptionState,
  UpstreamSubscriptionView,
} from "../../gateway/index.js";
import {
  UpstreamChange as ProtoChange,
  UpstreamSubscriptionState as ProtoState,
  type SourceUpstreamSubscriptions,
  type UpstreamSubscription,
  type UpstreamSubscriptionEvent,
} from "../../gen/tributary/v1/control.js";

const STATES: Record<UpstreamSubscriptionState, ProtoState> = {
  pending: ProtoState.UPSTREAM_SUBSCRIPTION_STATE_PENDING,
  subscribed: ProtoState.UPSTREAM_SUBSCRIPTION_STATE_SUBSCRIBED,
  lingering: ProtoState.UPSTREAM_SUBSCRIPTION_STATE_LINGERING,
  rejected: ProtoState.UPSTREAM_SUBSCRIPTION_STATE_REJECTED,
};

const CHANGES: Record<UpstreamChange, ProtoChange> = {
  subscribed: ProtoChange.UPSTREAM_CHANGE_SUBSCRIBED,
  unsubscribed: ProtoChange.UPSTREAM_CHANGE_UNSUBSCRIBED,
  rejected: ProtoChange.UPSTREAM_CHANGE_REJECTED,
  "limit-reached": ProtoChange.UPSTREAM_CHANGE_LIMIT_REACHED,
};

/**
 * A source's upstream subscriptions as the proto message; no limit is
 * `limit` 0, which the proto documents as "none".
 */
export function sourceUpstreamViewToProto(
  view: SourceUpstreamView,
): SourceUpstreamSubscriptions {
  return {
    source: view.source,
    limit: view.limit ?? 0,
    lingerMs: view.lingerMs,
    subscriptions: view.subscriptions.map(upstreamSubscriptionToProto),
  };
}

function upstreamSubscriptionToProto(
  view: UpstreamSubscriptionView,
): UpstreamSubscription {
  return {
    topic: view.topic,
    state: STATES[view.state],
    subscribers: view.subscribers,
    standing: view.standing,
    createdAtMs: view.createdAt,
    sinceMs: view.since,
    reason: view.reason ?? "",
  };
}

/** The body of an `upstream-subscription` event for WatchEvents. */
export function upstreamEventToProto(
  event: Extract<GatewayEvent, { type: "upstream-subscription" }>,
): UpstreamSubscriptionEvent {
  return {
    source: event.source,
    topic: event.topic,
    change: CHANGES[event.change],
    reason: event.reason ?? "",
  };
}
