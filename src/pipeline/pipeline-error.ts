/**
 * Codes of {@link PipelineError}:
 * - `DUPLICATE_SOURCE`: a source is added to a group it is a member of.
 * - `CLOSED`: a closed group is asked to take a source.
 * - `UNKNOWN_SOURCE`: a forced switch names a source that is not a member.
 * - `NOT_HEALTHY`: a forced switch names a member that is not healthy
 *   (health not `up`, or silent past the group's `dataDeadlineMs`).
 * - `NOT_STANDBY`: a forced switch is asked of an active-active group.
 */
export type PipelineErrorCode =
  | "DUPLICATE_SOURCE"
  | "CLOSED"
  | "UNKNOWN_SOURCE"
  | "NOT_HEALTHY"
  | "NOT_STANDBY";

/** A refused request to a group pipeline. */
export class PipelineError extends Error {
  override readonly name = "PipelineError";

  constructor(
    /** Which request was refused, stable for callers to map. */
    readonly code: PipelineErrorCode,
    message: string,
  ) {
    super(message);
  }
}
