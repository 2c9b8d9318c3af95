import type {
  HeartbeatConfig,
  OutgoingFrame,
  ReconnectConfig,
  SourceConfig,
} from "../../config/index.js";
import type { Origin, SourceView } from "../../gateway/index.js";
import {
  type Heartbeat,
  type SourceHealth as ProtoHealth,
  Origin as ProtoOrigin,
  type Reconnect,
  type Source,
  SourceState,
  type SourceStatus,
} from "../../gen/tributary/v1/control.js";
import type { SourceHealth } from "../../sources/index.js";

/** A config-shaped object: what GatewayControl validates with zod. */
export type RawConfig = Record<string, unknown>;

const STATES: Record<SourceHealth["state"], SourceState> = {
  connecting: SourceState.SOURCE_STATE_CONNECTING,
  up: SourceState.SOURCE_STATE_UP,
  stale: SourceState.SOURCE_STATE_STALE,
  down: SourceState.SOURCE_STATE_DOWN,
  paused: SourceState.SOURCE_STATE_PAUSED,
};

const ORIGINS: Record<Origin, ProtoOrigin> = {
  config: ProtoOrigin.ORIGIN_CONFIG,
  control: ProtoOrigin.ORIGIN_CONTROL,
};

/**
 * The `sources[]` entry a proto Source stands for. Zero and empty values
 * mean "the default" in the proto, so they are left out and the config
 * schema's defaults apply; `id` and `url` are always passed for the schema
 * to judge.
 */
export function sourceToConfig(source: Source): RawConfig {
  const raw: RawConfig = { id: source.id, url: source.url };
  if (Object.keys(source.headers).length > 0) raw.headers = source.headers;
  if (source.subscribe.length > 0) raw.subscribe = source.subscribe;
  const heartbeat = heartbeatToConfig(source.heartbeat);
  if (heartbeat !== undefined) raw.heartbeat = heartbeat;
  if (source.staleAfterMs > 0) raw.staleAfterMs = source.staleAfterMs;
  if (source.connectTimeoutMs > 0) {
    raw.connectTimeoutMs = source.connectTimeoutMs;
  }
  const reconnect = reconnectToConfig(source.reconnect);
  if (reconnect !== undefined) raw.reconnect = reconnect;
  if (source.codec !== undefined) raw.codec = source.codec;
  if (source.onDemand !== undefined) raw.onDemand = source.onDemand;
  return raw;
}

function heartbeatToConfig(
  heartbeat: Heartbeat | undefined,
): RawConfig | undefined {
  const kind = heartbeat?.kind;
  if (kind === undefined) return undefined;
  switch (kind.$case) {
    case "ping":
      return { type: "ping", ...positive("intervalMs", kind.value.intervalMs) };
    case "frame":
      return {
        type: "frame",
        ...positive("intervalMs", kind.value.intervalMs),
        frame: kind.value.frame,
      };
    case "none":
      return { type: "none" };
  }
}

function reconnectToConfig(
  reconnect: Reconnect | undefined,
): RawConfig | undefined {
  if (reconnect === undefined) return undefined;
  return {
    ...positive("initialDelayMs", reconnect.initialDelayMs),
    ...positive("maxDelayMs", reconnect.maxDelayMs),
    ...positive("multiplier", reconnect.multiplier),
  };
}

/** `{[key]: value}` when value is set (not 0), else nothing. */
function positive(key: string, value: number): RawConfig {
  return value === 0 ? {} : { [key]: value };
}

/** A validated source's settings as the proto Source. */
export function sourceToProto(config: SourceConfig): Source {
  return {
    id: config.id,
    url: config.url,
    headers: { ...config.headers },
    subscribe: config.subscribe.map(frameText),
    heartbeat: heartbeatToProto(config.heartbeat),
    staleAfterMs: config.staleAfterMs,
    connectTimeoutMs: config.connectTimeoutMs,
    reconnect: reconnectToProto(config.reconnect),
    codec: plainJson(config.codec),
    onDemand:
      config.onDemand === undefined ? undefined : plainJson(config.onDemand),
  };
}

function heartbeatToProto(heartbeat: HeartbeatConfig): Heartbeat {
  switch (heartbeat.type) {
    case "ping":
      return {
        kind: { $case: "ping", value: { intervalMs: heartbeat.intervalMs } },
      };
    case "frame": {
      const { intervalMs, frame } = heartbeat;
      const value = { intervalMs, frame: frameText(frame) };
      return { kind: { $case: "frame", value } };
    }
    case "none":
      return { kind: { $case: "none", value: {} } };
  }
}

function reconnectToProto(reconnect: ReconnectConfig): Reconnect {
  const { initialDelayMs, maxDelayMs, multiplier } = reconnect;
  return { initialDelayMs, maxDelayMs, multiplier };
}

/**
 * A frame as the proto's string. A config frame given as an object is sent
 * upstream as its JSON text, so that text is the same frame.
 */
function frameText(frame: OutgoingFrame): string {
  return typeof frame === "string" ? frame : JSON.stringify(frame);
}

/**
 * A copy holding only JSON values, as google.protobuf.Struct can carry
 * them: optional fields left undefined by the schema would not encode.
 */
export function plainJson(value: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

/** A source's health as the proto message. */
export function healthToProto(health: SourceHealth): ProtoHealth {
  const nextRetry = health.state === "down" ? health.nextRetryAt : undefined;
  return {
    state: stateToProto(health.state),
    reason: health.reason,
    sinceMs: health.since,
    nextRetryMs: nextRetry ?? 0,
  };
}

/** A health state name as the proto enum. */
export function stateToProto(state: SourceHealth["state"]): SourceState {
  return STATES[state];
}

/** Where a setting came from, as the proto enum. */
export function originToProto(origin: Origin): ProtoOrigin {
  return ORIGINS[origin];
}

/** A source with its live state as the proto SourceStatus. */
export function sourceViewToProto(view: SourceView): SourceStatus {
  return {
    source: sourceToProto(view.config),
    health: healthToProto(view.health),
    counters: { ...view.counters },
    group: view.group,
    origin: originToProto(view.origin),
  };
}
