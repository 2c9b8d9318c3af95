import { status } from "@grpc/grpc-js";
import type { SubscribeRequest } from "../../gen/tributary/v1/stream.js";
import {
  type ResumePoint,
  TopicError,
  validatePattern,
  validateTopic,
} from "../../topics/index.js";
import type { SlowConsumerPolicy } from "../session-queue.js";
import { policyFromProto } from "../subscription-policies.js";
import { type GrpcStatus, invalidArgument } from "./control-errors.js";

/** Events in one response when the request leaves `max_batch` at 0. */
export const DEFAULT_MAX_BATCH = 64;

/**
 * The most events one response carries whatever the request asks: a
 * larger batch only delays the first event of it, and the response size
 * is bounded separately (see stream-session.ts).
 */
export const MAX_BATCH_LIMIT = 1024;

/** A SubscribeRequest that passed every check. */
export interface Subscription {
  /** The distinct patterns, in request order. */
  readonly patterns: readonly string[];
  /** Resume points by topic, in request order. */
  readonly resume: ReadonlyArray<readonly [string, ResumePoint]>;
  /** Events per response, 1 to {@link MAX_BATCH_LIMIT}. */
  readonly maxBatch: number;
  /** The call's slow-consumer policy; undefined for the default. */
  readonly policy: SlowConsumerPolicy | undefined;
}

/** The outcome of checking a SubscribeRequest. */
export type SubscriptionCheck =
  | { readonly ok: true; readonly subscription: Subscription }
  | { readonly ok: false; readonly status: GrpcStatus };

/**
 * Checks a request whole before anything is subscribed: every pattern,
 * every resume topic and point, and the pattern count against
 * `maxPatterns` (`limits.maxSubscriptionsPerSession`). The first problem
 * found is answered, naming its field: `patterns[2]: ...`,
 * `resume["a b"]: ...`.
 */
export function checkSubscribeRequest(
  request: SubscribeRequest,
  maxPatterns: number,
): SubscriptionCheck {
  if (request.patterns.length === 0) {
    return invalid("patterns", "at least one pattern is required");
  }
  for (const [i, pattern] of request.patterns.entries()) {
    const problem = topicProblem(() => validatePattern(pattern));
    if (problem !== undefined) return invalid(`patterns[${i}]`, problem);
  }
  const patterns = [...new Set(request.patterns)];
  if (patterns.length > maxPatterns) {
    return {
      ok: false,
      status: {
        code: status.RESOURCE_EXHAUSTED,
        details:
          `patterns: ${patterns.length} patterns exceed the limit of ` +
          `${maxPatterns} per session (limits.maxSubscriptionsPerSession)`,
      },
    };
  }

  const resume = Object.entries(request.resume);
  for (const [topic, point] of resume) {
    const problem = resumeProblem(topic, point);
    if (problem !== undefined) {
      const field = `resume[${JSON.stringify(topic)}]${problem.field}`;
      return invalid(field, problem.message);
    }
  }
  const policy = policyFromProto(request.policy);
  if (policy === null) {
    return invalid("policy", `unknown SlowConsumerPolicy ${request.policy}`);
  }
  const maxBatch = request.maxBatch || DEFAULT_MAX_BATCH;
  return {
    ok: true,
    subscription: {
      patterns,
      resume,
      maxBatch: Math.min(maxBatch, MAX_BATCH_LIMIT),
      policy,
    },
  };
}

function resumeProblem(
  topic: string,
  point: ResumePoint,
): { field: string; message: string } | undefined {
  const problem = topicProblem(() => validateTopic(topic));
  if (problem !== undefined) return { field: "", message: problem };
  if (point.epoch === "") {
    return { field: ".epoch", message: "must not be empty" };
  }
  if (!Number.isSafeInteger(point.seq)) {
    return { field: ".seq", message: `${point.seq} is out of range` };
  }
  return undefined;
}

/** The TopicError message of `check`, or undefined when it passes. */
function topicProblem(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    if (err instanceof TopicError) return err.message;
    throw err;
  }
}

function invalid(field: string, message: string): SubscriptionCheck {
  return { ok: false, status: invalidArgument(field, message) };
}
