/**
 * Merge and dedupe: the stage between the sources and the topic graph.
 * A {@link GroupPipeline} merges the sources of one group and passes the
 * first copy of each message; {@link createDedupe} is its judge, usable on
 * its own.
 */

export { BoundedSet, MAX_BOUNDED_SET_CAPACITY } from "./bounded-set.js";
export type {
  Dedupe,
  DedupeStats,
  SourceDedupeStats,
} from "./dedupe.js";
export { createDedupe } from "./dedupe.js";
export type {
  GroupPipelineConfig,
  GroupPipelineStats,
  PipelineErrorCode,
} from "./group-pipeline.js";
export { GroupPipeline, PipelineError } from "./group-pipeline.js";
