import type { GroupEvent } from "../../src/pipeline/index.js";
import { message } from "./messages.js";

/** A seq message from `source` on the default topic. */
export function seqMessage(
  source: string,
  upstreamSeq: number,
  topic?: string,
) {
  return message({ source, upstreamSeq, ...(topic ? { topic } : {}) });
}

/**
 * Events in short form: `a:5` for message 5 from source a, `gap:3-4` for
 * a gap, `reset` for a reset.
 */
export function describeEvent(event: GroupEvent): string {
  switch (event.type) {
    case "message":
      return `${event.message.source}:${event.message.upstreamSeq ?? "-"}`;
    case "gap":
      return `gap:${event.fromUpstreamSeq}-${event.toUpstreamSeq}`;
    case "reset":
      return "reset";
  }
}

/** Upstream seqs of the message events, in order. */
export function seqsOf(events: readonly GroupEvent[]): number[] {
  return events.flatMap((event) =>
    event.type === "message" && event.message.upstreamSeq !== undefined
      ? [event.message.upstreamSeq]
      : [],
  );
}
