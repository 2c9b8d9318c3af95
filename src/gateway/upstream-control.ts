import type { UpstreamSubscriptions } from "../sources/index.js";
import type { StateOverlay } from "../state/index.js";
import { TopicError, validateTopic } from "../topics/index.js";
import { ControlError, type SourceUpstreamView } from "./control-api.js";
import { withStanding } from "./merge-state.js";
import type { Topology } from "./topology.js";

/** What {@link UpstreamControl} needs of the control layer around it. */
export interface UpstreamControlParts {
  readonly topology: Topology;
  /** The state overlay as last saved. */
  readonly overlay: () => StateOverlay;
  /** Saves the overlay with `edit` applied; see ControlLayer. */
  readonly persist: (edit: (overlay: StateOverlay) => void) => Promise<void>;
}

/**
 * The control plane's side of on-demand upstream subscriptions: listing
 * them, and standing topics added and removed, persisted in the state
 * file's `standing` list of each source. The caller serialises changes.
 */
export class UpstreamControl {
  readonly #parts: UpstreamControlParts;

  constructor(parts: UpstreamControlParts) {
    this.#parts = parts;
  }

  list(source?: string): SourceUpstreamView[] {
    if (source !== undefined && source !== "") {
      return [upstreamView(source, this.#require(source))];
    }
    return [...this.#parts.topology.sources.values()]
      .filter((runtime) => runtime.upstream !== undefined)
      .sort((a, b) => compare(a.config.id, b.config.id))
      .map((runtime) => upstreamView(runtime.config.id, runtime.upstream));
  }

  async addStanding(
    source: string,
    topic: string,
  ): Promise<SourceUpstreamView> {
    const upstream = this.#require(source);
    checkStandingTopic(topic, upstream);
    if (upstream.isStanding(topic)) {
      throw new ControlError(
        "ALREADY_EXISTS",
        `"${topic}" is already a standing subscription of source "${source}"`,
      );
    }
    // Applied first, so that the limit is judged as the runtime sees it
    // (a lingering topic may give way), and saved only if it took.
    const held = upstream.setStanding(topic, true);
    if (!held.ok && held.refusal === "limit") {
      throw new ControlError("RESOURCE_EXHAUSTED", held.reason);
    }
    const standing = [...new Set([...this.#standingOf(source), topic])];
    try {
      await this.#parts.persist((o) => {
        o.standing[source] = standing;
      });
    } catch (err) {
      upstream.setStanding(topic, false);
      throw err;
    }
    this.#show(source);
    return upstreamView(source, upstream);
  }

  async removeStanding(
    source: string,
    topic: string,
  ): Promise<SourceUpstreamView> {
    const upstream = this.#require(source);
    if (!upstream.isStanding(topic)) {
      throw new ControlError(
        "NOT_FOUND",
        `"${topic}" is not a standing subscription of source "${source}"`,
      );
    }
    const standing = this.#standingOf(source).filter((t) => t !== topic);
    await this.#parts.persist((o) => {
      o.standing[source] = standing;
    });
    upstream.setStanding(topic, false);
    this.#show(source);
    return upstreamView(source, upstream);
  }

  /** A source's on-demand subscriptions; NOT_FOUND, FAILED_PRECONDITION. */
  #require(id: string): UpstreamSubscriptions {
    const runtime = this.#parts.topology.sources.get(id);
    if (runtime === undefined) {
      throw new ControlError("NOT_FOUND", `no source "${id}"`);
    }
    if (runtime.upstream === undefined) {
      throw new ControlError(
        "FAILED_PRECONDITION",
        `source "${id}" has no onDemand rules`,
      );
    }
    return runtime.upstream;
  }

  /** Makes the source's config, as GetSource shows it, list its standing. */
  #show(id: string): void {
    const runtime = this.#parts.topology.sources.get(id);
    if (runtime === undefined) return;
    runtime.config = withStanding(runtime.config, this.#parts.overlay());
  }

  /** The standing topics of a source now: the overlay's, or its config's. */
  #standingOf(id: string): string[] {
    const persisted = this.#parts.overlay().standing[id];
    if (persisted !== undefined) return [...persisted];
    const config = this.#parts.topology.sources.get(id)?.config;
    return [...(config?.onDemand?.standing ?? [])];
  }
}

function upstreamView(
  source: string,
  upstream: UpstreamSubscriptions | undefined,
): SourceUpstreamView {
  return {
    source,
    limit: upstream?.limit,
    lingerMs: upstream?.lingerMs ?? 0,
    subscriptions: upstream?.list() ?? [],
  };
}

/** A standing topic must be valid and covered by one of the rules. */
function checkStandingTopic(
  topic: string,
  upstream: UpstreamSubscriptions,
): void {
  try {
    validateTopic(topic);
  } catch (err) {
    if (!(err instanceof TopicError)) throw err;
    throw ControlError.invalid([{ field: "topic", message: err.message }]);
  }
  if (!upstream.rules.covers(topic)) {
    throw ControlError.invalid([
      {
        field: "topic",
        message: `no onDemand rule of source "${upstream.source}" matches "${topic}"`,
      },
    ]);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
