import type { handleUnaryCall } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { ControlError, type GatewayControl } from "../../gateway/index.js";
import type {
  ControlServiceServer,
  Group,
  Pool,
  Backend as ProtoBackend,
  Source,
} from "../../gen/tributary/v1/control.js";
import { policyFromProto } from "../subscription-policies.js";
import { type FieldContext, toGrpcStatus } from "./control-errors.js";
import {
  groupFieldToProto,
  groupToConfig,
  groupViewToProto,
} from "./group-mapping.js";
import {
  backendToConfig,
  poolToConfig,
  poolViewToProto,
} from "./pool-mapping.js";
import { sourceToConfig, sourceViewToProto } from "./source-mapping.js";
import { sourceUpstreamViewToProto } from "./upstream-mapping.js";
import {
  clientViewToProto,
  subscriptionViewToProto,
  topicViewToProto,
} from "./view-mapping.js";
import { createWatchEvents, type WatchRegistry } from "./watch-events.js";

/** The handler keys of the RPCs that change the gateway (admin only). */
export const MUTATING_RPCS: ReadonlySet<string> = new Set([
  "addSource",
  "updateSource",
  "removeSource",
  "pauseSource",
  "resumeSource",
  "setGroup",
  "removeGroup",
  "failover",
  "disconnectClient",
  "subscribeClient",
  "unsubscribeClient",
  "addUpstreamSubscription",
  "removeUpstreamSubscription",
  "addPool",
  "removePool",
  "addBackend",
  "removeBackend",
  "drainBackend",
]);

/** The reason a client is given when an operator gives none. */
const DEFAULT_DISCONNECT_REASON = "disconnected by an operator";

/** Options of {@link createControlService}. */
export interface ControlServiceOptions {
  /** The gateway to control. */
  readonly control: GatewayControl;
  /** Unexpected failures are logged here at error. */
  readonly logger: Logger;
  /** Unread events a watcher may hold; default MAX_PENDING_EVENTS. */
  readonly maxPendingEvents?: number;
}

/** ControlService's handlers, and the open WatchEvents streams. */
export interface ControlServiceHandle {
  readonly implementation: ControlServiceServer;
  readonly watches: WatchRegistry;
}

const SOURCE: FieldContext = { prefix: "source" };
const GROUP: FieldContext = { prefix: "group", rename: groupFieldToProto };
const ID: FieldContext = { prefix: "id" };
const REQUEST: FieldContext = { prefix: "" };
const PATTERN: FieldContext = { prefix: "pattern" };
const POOL: FieldContext = { prefix: "pool" };
const BACKEND: FieldContext = { prefix: "backend" };

/** Maps every ControlService RPC onto `control`. */
export function createControlService(
  options: ControlServiceOptions,
): ControlServiceHandle {
  const { control, logger } = options;
  const unary = <Req, Res>(
    context: FieldContext,
    run: (request: Req) => Res | Promise<Res>,
  ): handleUnaryCall<Req, Res> => {
    return (call, callback) => {
      Promise.resolve()
        .then(() => run(call.request))
        .then(
          (response) => callback(null, response),
          (err: unknown) => callback(toGrpcStatus(err, context, logger)),
        );
    };
  };
  const watch = createWatchEvents(control.events, options.maxPendingEvents);

  const implementation: ControlServiceServer = {
    addSource: unary(SOURCE, async (req) => {
      const view = await control.addSource(sourceToConfig(requireSource(req)));
      return { source: sourceViewToProto(view) };
    }),
    updateSource: unary(SOURCE, async (req) => {
      const raw = sourceToConfig(requireSource(req));
      return { source: sourceViewToProto(await control.updateSource(raw)) };
    }),
    removeSource: unary(ID, async (req) => {
      await control.removeSource(requireId(req.id));
      return {};
    }),
    getSource: unary(ID, (req) => ({
      source: sourceViewToProto(control.getSource(requireId(req.id))),
    })),
    listSources: unary(REQUEST, () => ({
      sources: control.listSources().map(sourceViewToProto),
    })),
    pauseSource: unary(ID, async (req) => ({
      source: sourceViewToProto(await control.pauseSource(requireId(req.id))),
    })),
    resumeSource: unary(ID, async (req) => ({
      source: sourceViewToProto(await control.resumeSource(requireId(req.id))),
    })),
    setGroup: unary(GROUP, async (req) => {
      const view = await control.setGroup(groupToConfig(requireGroup(req)));
      return { group: groupViewToProto(view) };
    }),
    removeGroup: unary(ID, async (req) => {
      await control.removeGroup(requireId(req.id));
      return {};
    }),
    listGroups: unary(REQUEST, () => ({
      groups: control.listGroups().map(groupViewToProto),
    })),
    failover: unary(REQUEST, (req) => {
      requireFields({ group: req.group, source: req.source });
      return {
        group: groupViewToProto(control.failover(req.group, req.source)),
      };
    }),
    listTopics: unary(PATTERN, (req) => {
      const pattern = req.pattern === "" ? undefined : req.pattern;
      return { topics: control.listTopics(pattern).map(topicViewToProto) };
    }),
    listClients: unary(REQUEST, () => ({
      clients: control.listClients().map(clientViewToProto),
    })),
    disconnectClient: unary(REQUEST, (req) => {
      requireFields({ id: req.id });
      const reason = req.reason === "" ? DEFAULT_DISCONNECT_REASON : req.reason;
      control.disconnectClient(req.id, reason);
      return {};
    }),
    subscribeClient: unary(REQUEST, (req) => {
      requireFields({ client_id: req.clientId });
      const policy = policyFromProto(req.policy);
      if (policy === null) {
        throw ControlError.invalid([
          {
            field: "policy",
            message: `unknown SlowConsumerPolicy ${req.policy}`,
          },
        ]);
      }
      const view = control.subscribeClient(req.clientId, req.patterns, policy);
      return { client: clientViewToProto(view) };
    }),
    unsubscribeClient: unary(REQUEST, (req) => {
      requireFields({ client_id: req.clientId });
      const view = control.unsubscribeClient(req.clientId, req.patterns);
      return { client: clientViewToProto(view) };
    }),
    listSubscriptions: unary(PATTERN, (req) => {
      const pattern = req.pattern === "" ? undefined : req.pattern;
      const views = control.listSubscriptions(pattern);
      return { subscriptions: views.map(subscriptionViewToProto) };
    }),
    listUpstreamSubscriptions: unary(REQUEST, (req) => {
      const source = req.source === "" ? undefined : req.source;
      const views = control.listUpstreamSubscriptions(source);
      return { sources: views.map(sourceUpstreamViewToProto) };
    }),
    addUpstreamSubscription: unary(REQUEST, async (req) => {
      requireFields({ source: req.source, topic: req.topic });
      const { source, topic } = req;
      const view = await control.addStandingSubscription(source, topic);
      return { source: sourceUpstreamViewToProto(view) };
    }),
    removeUpstreamSubscription: unary(REQUEST, async (req) => {
      requireFields({ source: req.source, topic: req.topic });
      const { source, topic } = req;
      const view = await control.removeStandingSubscription(source, topic);
      return { source: sourceUpstreamViewToProto(view) };
    }),
    addPool: unary(POOL, async (req) => {
      const view = await control.addPool(poolToConfig(requirePool(req)));
      return { pool: poolViewToProto(view) };
    }),
    removePool: unary(ID, async (req) => {
      await control.removePool(requireId(req.id));
      return {};
    }),
    addBackend: unary(BACKEND, async (req) => {
      requireFields({ pool: req.pool });
      const raw = backendToConfig(requireBackend(req));
      const view = await control.addBackend(req.pool, raw);
      return { pool: poolViewToProto(view) };
    }),
    removeBackend: unary(REQUEST, async (req) => {
      requireFields({ pool: req.pool, id: req.id });
      await control.removeBackend(req.pool, req.id);
      return {};
    }),
    drainBackend: unary(REQUEST, async (req) => {
      requireFields({ pool: req.pool, id: req.id });
      const view = await control.drainBackend(req.pool, req.id, req.move);
      return { pool: poolViewToProto(view) };
    }),
    listPools: unary(REQUEST, () => ({
      pools: control.listPools().map(poolViewToProto),
    })),
    watchEvents: watch.handler,
  };
  return { implementation, watches: watch.registry };
}

// The checks below throw ControlErrors with fields relative to the RPC's
// FieldContext, so they read exactly like the gateway's own refusals.

function requireSource(request: { source?: Source }): Source {
  const { source } = request;
  if (source === undefined) throw missing("");
  if (source.id === "") throw missing("id");
  return source;
}

function requireGroup(request: { group?: Group }): Group {
  const { group } = request;
  if (group === undefined) throw missing("");
  if (group.id === "") throw missing("id");
  const blank = group.members.findIndex((member) => member.id === "");
  if (blank >= 0) throw missing(`members[${blank}].id`);
  return group;
}

function requirePool(request: { pool?: Pool }): Pool {
  if (request.pool === undefined) throw missing("");
  return request.pool;
}

function requireBackend(request: { backend?: ProtoBackend }): ProtoBackend {
  if (request.backend === undefined) throw missing("");
  return request.backend;
}

function requireId(id: string): string {
  if (id === "") throw missing("");
  return id;
}

function requireFields(fields: Record<string, string>): void {
  const blank = Object.keys(fields).filter((key) => fields[key] === "");
  if (blank.length > 0) {
    throw ControlError.invalid(
      blank.map((field) => ({ field, message: "required" })),
    );
  }
}

function missing(field: string): ControlError {
  return ControlError.invalid([{ field, message: "required" }]);
}
