import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type {
  Backend,
  Group,
  GroupMember,
  Heartbeat,
  Pool,
  Reconnect,
  Source,
} from "../gen/tributary/v1/control.js";
import { CtlInputError } from "./ctl-client.js";

type Doc = Record<string, unknown>;

const SOURCE_FIELDS = new Set([
  "id",
  "url",
  "headers",
  "subscribe",
  "heartbeat",
  "staleAfterMs",
  "connectTimeoutMs",
  "reconnect",
  "codec",
  "onDemand",
]);

const GROUP_FIELDS = new Set([
  "id",
  "mode",
  "sources",
  "dedupe",
  "failback",
  "dataDeadlineMs",
]);

const POOL_FIELDS = new Set([
  "id",
  "path",
  "backends",
  "balancer",
  "healthCheck",
  "passive",
  "connectTimeoutMs",
  "forwardHeaders",
  "failover",
  "maxBufferedBytes",
  "maxMessageBytes",
]);

const BACKEND_FIELDS = new Set(["id", "url", "weight"]);

/**
 * Reads one source, written like a config file's `sources[]` entry (YAML
 * or JSON), as the proto Source. Only the shape is checked here; the
 * gateway validates the values and names what is wrong.
 */
export function readSourceFile(file: string): Source {
  const doc = readObject(file);
  checkFields(file, doc, SOURCE_FIELDS);
  return {
    id: text(file, doc, "id"),
    url: text(file, doc, "url"),
    headers: (object(file, doc, "headers") ?? {}) as Record<string, string>,
    subscribe: list(file, doc, "subscribe").map(frameText),
    heartbeat: heartbeatOf(file, object(file, doc, "heartbeat")),
    staleAfterMs: count(file, doc, "staleAfterMs"),
    connectTimeoutMs: count(file, doc, "connectTimeoutMs"),
    reconnect: reconnectOf(file, object(file, doc, "reconnect")),
    codec: object(file, doc, "codec"),
    onDemand: object(file, doc, "onDemand"),
  };
}

/** Reads one group, written like a config file's `groups[]` entry. */
export function readGroupFile(file: string): Group {
  const doc = readObject(file);
  checkFields(file, doc, GROUP_FIELDS);
  return {
    id: text(file, doc, "id"),
    mode: text(file, doc, "mode"),
    members: list(file, doc, "sources").map((m, i) => memberOf(file, m, i)),
    dedupe: object(file, doc, "dedupe"),
    failback: object(file, doc, "failback"),
    dataDeadlineMs: count(file, doc, "dataDeadlineMs"),
  };
}

/**
 * Reads one proxy pool, written like a config file's `pools[]` entry, as
 * the proto Pool; the gateway validates the values.
 */
export function readPoolFile(file: string): Pool {
  const doc = readObject(file);
  checkFields(file, doc, POOL_FIELDS);
  return {
    id: text(file, doc, "id"),
    path: text(file, doc, "path"),
    backends: list(file, doc, "backends").map((b, i) =>
      backendOf(file, b, `backends[${i}]`),
    ),
    balancer: object(file, doc, "balancer"),
    healthCheck: object(file, doc, "healthCheck"),
    passive: object(file, doc, "passive"),
    connectTimeoutMs: count(file, doc, "connectTimeoutMs"),
    forwardHeaders: list(file, doc, "forwardHeaders").map(String),
    failover: object(file, doc, "failover"),
    maxBufferedBytes: count(file, doc, "maxBufferedBytes"),
    maxMessageBytes: count(file, doc, "maxMessageBytes"),
  };
}

/** Reads one backend, written like a pool's `backends[]` entry. */
export function readBackendFile(file: string): Backend {
  return backendOf(file, readObject(file), "");
}

function backendOf(file: string, doc: unknown, where: string): Backend {
  const at = where === "" ? file : `${file}: ${where}`;
  if (!isObject(doc)) throw new CtlInputError(`${at}: expected an object`);
  checkFields(at, doc, BACKEND_FIELDS);
  return {
    id: text(at, doc, "id"),
    url: text(at, doc, "url"),
    weight: count(at, doc, "weight"),
  };
}

function readObject(file: string): Doc {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CtlInputError(`cannot read ${file}: ${why}`);
  }
  if (!isObject(doc)) throw new CtlInputError(`${file}: expected an object`);
  return doc;
}

function checkFields(file: string, doc: Doc, known: Set<string>): void {
  const unknown = Object.keys(doc).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    const names = unknown.map((key) => `"${key}"`).join(", ");
    throw new CtlInputError(`${file}: unknown field ${names}`);
  }
}

function heartbeatOf(
  file: string,
  doc: Doc | undefined,
): Heartbeat | undefined {
  if (doc === undefined) return undefined;
  const intervalMs = count(file, doc, "intervalMs");
  switch (doc.type) {
    case "ping":
      return { kind: { $case: "ping", value: { intervalMs } } };
    case "frame": {
      const frame = frameText(doc.frame ?? "");
      return { kind: { $case: "frame", value: { intervalMs, frame } } };
    }
    case "none":
      return { kind: { $case: "none", value: {} } };
    default:
      throw new CtlInputError(
        `${file}: heartbeat.type: expected "ping", "frame" or "none"`,
      );
  }
}

function reconnectOf(
  file: string,
  doc: Doc | undefined,
): Reconnect | undefined {
  if (doc === undefined) return undefined;
  return {
    initialDelayMs: count(file, doc, "initialDelayMs"),
    maxDelayMs: count(file, doc, "maxDelayMs"),
    multiplier: count(file, doc, "multiplier"),
  };
}

function memberOf(file: string, member: unknown, index: number): GroupMember {
  if (typeof member === "string") return { id: member, priority: 0 };
  if (isObject(member) && typeof member.id === "string") {
    return { id: member.id, priority: count(file, member, "priority") };
  }
  throw new CtlInputError(
    `${file}: sources[${index}]: expected an id or {id, priority}`,
  );
}

/** A frame as the proto's string; objects are sent as their JSON text. */
function frameText(frame: unknown): string {
  return typeof frame === "string" ? frame : JSON.stringify(frame);
}

function text(file: string, doc: Doc, key: string): string {
  const value = doc[key] ?? "";
  if (typeof value !== "string") throw wrongType(file, key, "a string");
  return value;
}

/** A number field; only `priority` may be negative (proto int32). */
function count(file: string, doc: Doc, key: string): number {
  const value = doc[key] ?? 0;
  if (typeof value !== "number") throw wrongType(file, key, "a number");
  if (value < 0 && key !== "priority") {
    throw wrongType(file, key, "a number of at least 0");
  }
  return value;
}

function list(file: string, doc: Doc, key: string): unknown[] {
  const value = doc[key] ?? [];
  if (!Array.isArray(value)) throw wrongType(file, key, "a list");
  return value;
}

function object(file: string, doc: Doc, key: string): Doc | undefined {
  const value = doc[key];
  if (value === undefined) return undefined;
  if (!isObject(value)) throw wrongType(file, key, "an object");
  return value;
}

function wrongType(file: string, key: string, what: string): CtlInputError {
  return new CtlInputError(`${file}: ${key}: expected ${what}`);
}

function isObject(value: unknown): value is Doc {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
