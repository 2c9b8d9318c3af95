import { type Config, parseConfig } from "../config/index.js";
import type { StateOverlay } from "../state/index.js";
import type { Origin } from "./control-api.js";

/** The config the gateway runs: the file with the state overlay applied. */
export interface EffectiveConfig {
  readonly config: Config;
  /** Where each source and group came from, by id. */
  readonly sourceOrigins: ReadonlyMap<string, Origin>;
  readonly groupOrigins: ReadonlyMap<string, Origin>;
  readonly paused: ReadonlySet<string>;
}

/**
 * Applies the control plane's overlay to the config file's sources and
 * groups and validates the result as a whole, so that a config file edited
 * under a state file (a group naming a source the control plane removed,
 * say) stops startup with the problem named, instead of running half of it.
 */
export function mergeState(
  config: Config,
  overlay: StateOverlay,
  label: string,
): EffectiveConfig {
  const sourceOrigins = new Map<string, Origin>();
  const groupOrigins = new Map<string, Origin>();
  const sources = applyEntries(
    config.sources,
    overlay.sources,
    sourceOrigins,
  ).map((source) => withStanding(source, overlay));
  const groups = applyEntries(config.groups, overlay.groups, groupOrigins);
  const merged = parseConfig({ ...config, sources, groups }, label);
  const ids = new Set(merged.sources.map((s) => s.id));
  const paused = new Set(overlay.paused.filter((id) => ids.has(id)));
  return { config: merged, sourceOrigins, groupOrigins, paused };
}

function applyEntries<T extends { id: string }>(
  fromFile: readonly T[],
  entries: StateOverlay["sources"],
  origins: Map<string, Origin>,
): unknown[] {
  const result: unknown[] = [];
  const done = new Set<string>();
  for (const item of fromFile) {
    done.add(item.id);
    const entry = entries[item.id];
    if (entry === undefined) {
      result.push(item);
      origins.set(item.id, "config");
    } else if ("config" in entry) {
      result.push(entry.config);
      origins.set(item.id, "control");
    }
  }
  for (const [id, entry] of Object.entries(entries)) {
    if (done.has(id) || !("config" in entry)) continue;
    result.push(entry.config);
    origins.set(id, "control");
  }
  return result;
}

/**
 * A source (as parsed, or as raw config) with the standing upstream
 * subscriptions the control plane set for it, when it set any and the
 * source has `onDemand` rules. Validation later checks that each topic is
 * still covered, so a config edited under the state file stops startup
 * with the topic named rather than dropping it.
 */
export function withStanding<T>(source: T, overlay: StateOverlay): T {
  if (typeof source !== "object" || source === null) return source;
  const { id, onDemand } = source as { id?: unknown; onDemand?: unknown };
  if (typeof id !== "string" || typeof onDemand !== "object" || !onDemand) {
    return source;
  }
  const standing = overlay.standing[id];
  if (standing === undefined) return source;
  return { ...source, onDemand: { ...onDemand, standing: [...standing] } };
}
