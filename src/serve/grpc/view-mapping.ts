import type {
  Change,
  ClientView,
  GatewayEvent,
  SubscriptionOrigin,
  SubscriptionView,
  TopicView,
  Transport,
} from "../../gateway/index.js";
import {
  type ClientStatus,
  type PatternSubscriptions,
  Change as ProtoChange,
  SubscriptionOrigin as ProtoOrigin,
  Transport as ProtoTransport,
  type TopicStatus,
  type WatchEventsResponse,
} from "../../gen/tributary/v1/control.js";
import { policyToProto } from "../subscription-policies.js";
import { healthToProto, stateToProto } from "./source-mapping.js";
import { upstreamEventToProto } from "./upstream-mapping.js";

const TRANSPORTS: Record<Transport, ProtoTransport> = {
  websocket: ProtoTransport.TRANSPORT_WEBSOCKET,
  grpc: ProtoTransport.TRANSPORT_GRPC,
};

const ORIGINS: Record<SubscriptionOrigin, ProtoOrigin> = {
  client: ProtoOrigin.SUBSCRIPTION_ORIGIN_CLIENT,
  control: ProtoOrigin.SUBSCRIPTION_ORIGIN_CONTROL,
};

/** One held pattern and its sessions as the proto message. */
export function subscriptionViewToProto(
  view: SubscriptionView,
): PatternSubscriptions {
  return {
    pattern: view.pattern,
    subscribers: view.sessions.map((s) => ({
      clientId: s.client,
      transport: TRANSPORTS[s.transport],
      origin: ORIGINS[s.origin],
    })),
  };
}

const CHANGES: Record<Change, ProtoChange> = {
  added: ProtoChange.CHANGE_ADDED,
  updated: ProtoChange.CHANGE_UPDATED,
  removed: ProtoChange.CHANGE_REMOVED,
  paused: ProtoChange.CHANGE_PAUSED,
  resumed: ProtoChange.CHANGE_RESUMED,
};

/** One topic of the graph as the proto TopicStatus. */
export function topicViewToProto(view: TopicView): TopicStatus {
  return {
    topic: view.topic,
    seq: view.seq,
    epoch: view.epoch,
    messageRate: view.messageRate,
    subscribers: view.subscribers,
    sources: [...view.sources],
    messages: view.messages,
    lastMessageMs: view.lastMessageAt,
    gaps: view.gaps,
  };
}

/** One connected subscriber as the proto ClientStatus. */
export function clientViewToProto(view: ClientView): ClientStatus {
  return {
    id: view.id,
    transport: TRANSPORTS[view.transport],
    remoteAddress: view.remoteAddress,
    subscriptions: [...view.subscriptions],
    queueDepth: view.queueDepth,
    sent: view.sent,
    dropped: view.dropped,
    gaps: view.gaps,
    connectedMs: view.connectedAt,
    protocol: view.protocol,
    policies: Object.fromEntries(
      Object.entries(view.policies).map(([p, v]) => [p, policyToProto(v)]),
    ),
    stalled: view.stalled,
  };
}

/** One gateway event as a WatchEvents response. */
export function eventToProto(event: GatewayEvent): WatchEventsResponse {
  return { timeMs: event.at, event: eventBody(event) };
}

function eventBody(event: GatewayEvent): WatchEventsResponse["event"] {
  switch (event.type) {
    case "source-health": {
      const { source, from, to } = event;
      const value = { source, from: stateToProto(from), to: healthToProto(to) };
      return { $case: "sourceHealth", value };
    }
    case "source": {
      const value = { source: event.source, change: CHANGES[event.change] };
      return { $case: "source", value };
    }
    case "group": {
      const value = { group: event.group, change: CHANGES[event.change] };
      return { $case: "group", value };
    }
    case "failover": {
      const { group, from = "", to = "", reason } = event;
      return { $case: "failover", value: { group, from, to, reason } };
    }
    case "client":
      return {
        $case: "client",
        value: {
          client: event.client,
          transport: TRANSPORTS[event.transport],
          connected: event.connected,
          remoteAddress: event.remoteAddress,
          reason: event.reason ?? "",
        },
      };
    case "upstream-subscription":
      return {
        $case: "upstreamSubscription",
        value: upstreamEventToProto(event),
      };
  }
}
