import {
  matchesPattern,
  type ResumePoint,
  type TopicGraph,
} from "../topics/index.js";
import { EncodedEnvelope, EncodedNotice } from "./fanout.js";
import type { SessionQueue } from "./session-queue.js";

/** The counters of a session that a replay and live notices move. */
export interface NoticeCounters {
  /** Messages that came from a topic's history on resume. */
  replayed: number;
  /** Gap notices passed on, live and replayed. */
  gaps: number;
  /** Reset notices passed on, live and replayed. */
  resets: number;
}

/** Counts one gap or reset notice passed to a client. */
export function countNotice(
  counters: NoticeCounters,
  type: "gap" | "reset",
): void {
  if (type === "gap") counters.gaps++;
  else counters.resets++;
}

/**
 * Queues, for each resume point whose topic one of `patterns` matches,
 * what a client that has that point missed: the topic's history after it,
 * or the gap or reset notice that says why it cannot have it. Points for
 * topics no pattern matches are ignored. Callers subscribe first and call
 * this in the same synchronous turn, so that nothing can be published
 * between the replay and the live stream: the seam has neither a
 * duplicate nor a hole. Returns how many items were queued.
 */
export function queueReplay(
  graph: TopicGraph,
  patterns: ReadonlySet<string>,
  points: Iterable<readonly [string, ResumePoint]>,
  queue: SessionQueue,
  counters: NoticeCounters,
): number {
  let queued = 0;
  for (const [topic, point] of points) {
    if (!matchesAny(patterns, topic)) continue;
    for (const item of graph.replay(topic, point)) {
      queued++;
      if (item.type === "message") {
        counters.replayed++;
        queue.push(new EncodedEnvelope(item.envelope));
      } else {
        countNotice(counters, item.type);
        queue.push(new EncodedNotice(item));
      }
    }
  }
  return queued;
}

function matchesAny(patterns: ReadonlySet<string>, topic: string): boolean {
  for (const pattern of patterns) {
    if (matchesPattern(pattern, topic)) return true;
  }
  return false;
}
