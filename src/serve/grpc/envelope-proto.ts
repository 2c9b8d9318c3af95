import { encodeGapJson, encodeMessageJson } from "../../codecs/index.js";
import type { Envelope } from "../../envelope/index.js";
import type {
  Envelope as EnvelopeMessage,
  Gap,
  Reset,
} from "../../gen/tributary/v1/envelope.js";
import type { StreamEvent } from "../../gen/tributary/v1/stream.js";
import type { GapNotice, ResetNotice } from "../../topics/index.js";
import { EncodedEnvelope } from "../fanout.js";
import { encodeResetJson } from "../notice-json.js";
import type { QueueItem } from "../session-queue.js";

/*
 * The mapping between the gateway's envelopes and notices and the
 * messages of proto/tributary/v1. StreamService builds these per response
 * and lets grpc-js encode them; the WebSocket binary protocol keeps its
 * own shared encoding in fanout.
 */

/** Bytes an event is taken to add to a response beyond payload and topic. */
const EVENT_OVERHEAD_BYTES = 64;

/** An envelope as `tributary.v1.Envelope`; absent fields become 0 or "". */
export function envelopeToProto(envelope: Envelope): EnvelopeMessage {
  return {
    topic: envelope.topic,
    seq: envelope.seq,
    epoch: envelope.epoch,
    timeMs: envelope.time ?? 0,
    ingestTimeMs: envelope.ingestTime,
    source: envelope.source,
    key: envelope.key ?? "",
    data: envelope.data,
    contentType: envelope.contentType,
  };
}

/** A gap notice as `tributary.v1.Gap`. */
export function gapToProto(gap: GapNotice): Gap {
  return {
    topic: gap.topic,
    fromSeq: gap.fromSeq,
    toSeq: gap.toSeq,
    reason: gap.reason,
    epoch: gap.epoch,
  };
}

/** A reset notice as `tributary.v1.Reset`; "" for an epoch not chosen yet. */
export function resetToProto(reset: ResetNotice): Reset {
  return { topic: reset.topic, epoch: reset.epoch ?? "", reason: reset.reason };
}

/** One item of a session's queue as one event of a SubscribeResponse. */
export function toStreamEvent(item: QueueItem): StreamEvent {
  if (item instanceof EncodedEnvelope) {
    return {
      event: { $case: "message", value: envelopeToProto(item.envelope) },
    };
  }
  const notice = item.notice;
  return notice.type === "gap"
    ? { event: { $case: "gap", value: gapToProto(notice) } }
    : { event: { $case: "reset", value: resetToProto(notice) } };
}

/** Roughly what an item adds to an encoded response, for byte bounds. */
export function eventSizeOf(item: QueueItem): number {
  if (!(item instanceof EncodedEnvelope)) return EVENT_OVERHEAD_BYTES;
  const { data, topic, epoch, source } = item.envelope;
  return (
    data.length +
    topic.length +
    epoch.length +
    source.length +
    EVENT_OVERHEAD_BYTES
  );
}

/** A `tributary.v1.Envelope` as the gateway's Envelope; 0 and "" as absent. */
export function envelopeFromProto(message: EnvelopeMessage): Envelope {
  return {
    topic: message.topic,
    seq: message.seq,
    epoch: message.epoch,
    ...(message.timeMs === 0 ? {} : { time: message.timeMs }),
    ingestTime: message.ingestTimeMs,
    source: message.source,
    ...(message.key === "" ? {} : { key: message.key }),
    data: message.data,
    contentType: message.contentType,
  };
}

/**
 * A StreamEvent as the `tributary.v1.json` frame a WebSocket client would
 * get for it, so gRPC and WebSocket subscribers can be printed and
 * compared alike; undefined for an event of a kind this build does not
 * know.
 */
export function streamEventToJson(event: StreamEvent): Buffer | undefined {
  switch (event.event?.$case) {
    case "message":
      return encodeMessageJson(envelopeFromProto(event.event.value));
    case "gap":
      return encodeGapJson(event.event.value);
    case "reset": {
      const { topic, epoch, reason } = event.event.value;
      const known = epoch === "" ? {} : { epoch };
      return encodeResetJson({ type: "reset", topic, reason, ...known });
    }
    default:
      return undefined;
  }
}
