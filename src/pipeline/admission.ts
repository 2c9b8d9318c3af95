import type { DedupeConfig } from "../config/index.js";
import type { SourceMessage } from "../envelope/index.js";
import type { PipelineClock } from "./clock.js";
import { createDedupe } from "./dedupe.js";
import type { DedupeStats } from "./dedupe-counter.js";
import type { GroupEvent } from "./group-events.js";
import { SequenceArbiter, type SequenceStats } from "./sequence-arbiter.js";

/**
 * The last stage of a group: decides which messages pass, over everything
 * the member stage lets through, and emits them as events.
 *
 * @internal Used by the group pipeline only.
 */
export interface Admission {
  /** Judges `message`; what passes is emitted, now or (seq) later. */
  admit(message: SourceMessage): void;
  readonly stats: DedupeStats;
  /** Gap and reset counts; only for `by: seq`. */
  readonly sequence: SequenceStats | undefined;
  /** Cancels pending timers. */
  close(): void;
}

/**
 * The sequence arbiter for `by: seq`, else the dedupe of that mode.
 *
 * @internal Used by the group pipeline only.
 */
export function createAdmission(
  config: DedupeConfig,
  clock: PipelineClock,
  emit: (event: GroupEvent) => void,
): Admission {
  if (config.by === "seq") {
    const arbiter = new SequenceArbiter(
      { gapWaitMs: config.gapWaitMs, clock },
      emit,
    );
    return {
      admit: (message) => arbiter.admit(message),
      get stats() {
        const { sequence: _, ...stats } = arbiter.stats;
        return stats;
      },
      get sequence() {
        return arbiter.stats.sequence;
      },
      close: () => arbiter.close(),
    };
  }
  const dedupe = createDedupe(config);
  return {
    admit(message) {
      if (dedupe.accept(message)) {
        emit({ type: "message", message });
      }
    },
    get stats() {
      return dedupe.stats;
    },
    sequence: undefined,
    close() {},
  };
}
