/**
 * Merge, dedupe, sequence arbitration and failover: the stage between the
 * sources and the topic graph. A {@link GroupPipeline} consumes the
 * sources of one group (all of them, or the active one of an
 * active-standby group) and emits the messages that win, with gap and
 * reset events under `dedupe.by: seq`. {@link createDedupe} and
 * {@link SequenceArbiter} are its judges, usable on their own.
 */

export { BoundedSet, MAX_BOUNDED_SET_CAPACITY } from "./bounded-set.js";
export type { PipelineClock } from "./clock.js";
export { systemClock } from "./clock.js";
export type { Dedupe } from "./dedupe.js";
export { createDedupe } from "./dedupe.js";
export type { DedupeStats, SourceDedupeStats } from "./dedupe-counter.js";
export type {
  FailoverEvent,
  GroupEvent,
  GroupGapEvent,
  GroupMessageEvent,
  GroupResetEvent,
} from "./group-events.js";
export { GroupPipeline } from "./group-pipeline.js";
export type {
  GroupMemberStats,
  GroupPipelineConfig,
  GroupPipelineStats,
  MemberOptions,
} from "./group-pipeline-options.js";
export type { PipelineErrorCode } from "./pipeline-error.js";
export { PipelineError } from "./pipeline-error.js";
export type {
  SequenceArbiterOptions,
  SequenceArbiterStats,
  SequenceStats,
} from "./sequence-arbiter.js";
export {
  DEFAULT_GAP_WAIT_MS,
  DEFAULT_MAX_HELD_PER_TOPIC,
  DEFAULT_RESET_GRACE_MS,
  DEFAULT_RESET_THRESHOLD,
  SequenceArbiter,
} from "./sequence-arbiter.js";
export {
  DEFAULT_STANDBY_BUFFER_AGE_MS,
  DEFAULT_STANDBY_BUFFER_MESSAGES,
} from "./standby-buffer.js";
