import { type StatusObject, status } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { ControlError, type ControlProblem } from "../../gateway/index.js";

/** A gRPC error status as a handler's callback or `emit("error")` takes. */
export type GrpcStatus = Pick<StatusObject, "code" | "details">;

/** Builds an INVALID_ARGUMENT status naming `field`, as the proto promises. */
export function invalidArgument(field: string, message: string): GrpcStatus {
  return { code: status.INVALID_ARGUMENT, details: `${field}: ${message}` };
}

/** Where a control call's problems sit in its request. */
export interface FieldContext {
  /** The request field the operation's argument came from: `source`. */
  readonly prefix: string;
  /**
   * Maps a config-relative path to the proto's name for it, where the two
   * differ (a group's `sources[1]` is its `members[1]`). Default: as is.
   */
  readonly rename?: (field: string) => string;
}

/**
 * Turns what a control operation threw into a gRPC status. A ControlError
 * keeps its code; its problems are listed with the request field in front
 * (`source.codec.topic: ...`). Anything else is our bug: logged at error
 * and answered INTERNAL without internals.
 */
export function toGrpcStatus(
  err: unknown,
  context: FieldContext,
  logger: Logger,
): GrpcStatus {
  if (!(err instanceof ControlError)) {
    logger.error({ err }, "control call failed");
    return { code: status.INTERNAL, details: "internal error" };
  }
  const code = status[err.code];
  if (err.code !== "INVALID_ARGUMENT" || err.problems.length === 0) {
    return { code, details: err.message };
  }
  const details = err.problems
    .map((problem) => describeProblem(problem, context))
    .join("; ");
  return { code, details };
}

function describeProblem(
  problem: ControlProblem,
  { prefix, rename }: FieldContext,
): string {
  const field = rename === undefined ? problem.field : rename(problem.field);
  return `${fieldPath(prefix, field)}: ${problem.message}`;
}

/**
 * Joins a request field and a path relative to it. A path that already
 * starts with the request field is kept as is, so an operation that names
 * its argument (`pattern`) is not prefixed twice.
 */
export function fieldPath(prefix: string, field: string): string {
  if (prefix === "") return field === "" ? "request" : field;
  if (field === "" || field === prefix) return prefix;
  if (field.startsWith(`${prefix}.`) || field.startsWith(`${prefix}[`)) {
    return field;
  }
  return field.startsWith("[") ? `${prefix}${field}` : `${prefix}.${field}`;
}
