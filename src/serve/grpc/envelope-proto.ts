import { encodeGapJson, encodeMessageJson } from "../../codecs/index.js";
import type { Envelope } from "../../envelope/index.js";
import type { Envelope as EnvelopeMessage } from "../../gen/tributary/v1/envelope.js";
import type { StreamEvent } from "../../gen/tributary/v1/stream.js";
import { EncodedEnvelope } from "../fanout.js";
import { encodeResetJson } from "../notice-json.js";
import type { QueueItem } from "../session-queue.js";
import { toEnvelopeProto, toGapProto, toResetProto } from "../wire-proto.js";

/*
 * StreamService's side of the proto mapping (the messages themselves come
 * from `../wire-proto.ts`, shared with the binary WebSocket protocol):
 * queue items as stream events, and stream events back as the JSON frames
 * `tap --grpc` prints.
 */

/** Bytes an event is taken to add to a response beyond payload and topic. */
const EVENT_OVERHEAD_BYTES = 64;

/** One item of a session's queue as one event of a SubscribeResponse. */
export function toStreamEvent(item: QueueItem): StreamEvent {
  if (item instanceof EncodedEnvelope) {
    return {
      event: { $case: "message", value: toEnvelopeProto(item.envelope) },
    };
  }
  const notice = item.notice;
  return notice.type === "gap"
    ? { event: { $case: "gap", value: toGapProto(notice) } }
    : { event: { $case: "reset", value: toResetProto(notice) } };
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
