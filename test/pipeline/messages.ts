import {
  CONTENT_TYPE_JSON,
  type SourceMessage,
} from "../../src/envelope/index.js";

/** Fields of a test message; `payload` becomes `data` as JSON text. */
export interface TestMessage {
  readonly topic?: string;
  readonly source?: string;
  readonly id?: string;
  readonly upstreamSeq?: number;
  readonly payload?: unknown;
  readonly data?: Buffer;
}

/** Builds a SourceMessage with defaults for what a test does not care about. */
export function message(fields: TestMessage = {}): SourceMessage {
  const data =
    fields.data ?? Buffer.from(JSON.stringify(fields.payload ?? {}), "utf8");
  return {
    topic: fields.topic ?? "trades.BTC-USD",
    source: fields.source ?? "vendor-a",
    ...(fields.id === undefined ? {} : { id: fields.id }),
    ...(fields.upstreamSeq === undefined
      ? {}
      : { upstreamSeq: fields.upstreamSeq }),
    ingestTime: 1_700_000_000_000,
    data,
    contentType: CONTENT_TYPE_JSON,
  };
}
