/**
 * The vocabulary every stage of the pipeline shares. A codec turns an
 * upstream frame into {@link SourceMessage}s; the topic graph stamps each
 * one that survives dedupe with the gateway's own seq and epoch, which makes
 * it an {@link Envelope}.
 */

/** MIME type of payloads produced by the `json` codec. */
export const CONTENT_TYPE_JSON = "application/json";

/** MIME type of payloads produced by the `text` codec. */
export const CONTENT_TYPE_TEXT = "text/plain";

/** One translated message as it leaves a source, before arbitration. */
export interface SourceMessage {
  /** A valid topic (see `src/topics`). */
  readonly topic: string;
  /** Id of the source that produced this copy. */
  readonly source: string;
  /** Upstream identity used by `dedupe.by: id`; absent when not configured. */
  readonly id?: string;
  /** Upstream sequence used by `dedupe.by: seq`; absent when not configured. */
  readonly upstreamSeq?: number;
  /** Upstream event time in ms since the Unix epoch, when extracted. */
  readonly time?: number;
  /** When the gateway read the frame, ms since the Unix epoch. */
  readonly ingestTime: number;
  /** Conflation key within the topic. */
  readonly key?: string;
  /**
   * The translated payload. For {@link CONTENT_TYPE_JSON} it is a complete
   * JSON text, so encoders can inline it without parsing it again.
   */
  readonly data: Buffer;
  /** MIME type of `data`. */
  readonly contentType: string;
}

/** A message of the topic graph: a SourceMessage with gateway ordering. */
export interface Envelope extends SourceMessage {
  /** Per-topic sequence assigned by the gateway, from 1. */
  readonly seq: number;
  /** Id of the topic's current sequence history. */
  readonly epoch: string;
}

/** One frame as a source connection read it from its upstream. */
export interface RawFrame {
  /** Id of the source that read the frame. */
  readonly source: string;
  /** The frame's bytes; text frames are UTF-8. */
  readonly data: Buffer;
  /** True for a binary WebSocket frame, false for text. */
  readonly isBinary: boolean;
  /** When the frame was read, ms since the Unix epoch. */
  readonly receivedAt: number;
}
