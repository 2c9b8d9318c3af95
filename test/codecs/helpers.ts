import { Writable } from "node:stream";
import { type Logger, pino } from "pino";
import {
  type CodecSpec,
  codecSchema,
  type JsonCodecSpec,
  jsonCodecSchema,
} from "../../src/codecs/index.js";
import type { RawFrame, SourceMessage } from "../../src/envelope/index.js";

/** The receivedAt of every test frame. */
export const RECEIVED_AT = 1_764_700_000_500;

/** A raw frame of `data`: a string as is, anything else as JSON text. */
export function frameOf(
  data: unknown,
  options: { isBinary?: boolean; source?: string } = {},
): RawFrame {
  let bytes: Buffer;
  if (Buffer.isBuffer(data)) {
    bytes = data;
  } else if (typeof data === "string") {
    bytes = Buffer.from(data);
  } else {
    bytes = Buffer.from(JSON.stringify(data));
  }
  return {
    source: options.source ?? "test-source",
    data: bytes,
    isBinary: options.isBinary ?? false,
    receivedAt: RECEIVED_AT,
  };
}

/** A json codec spec as the config file would give it. */
export function jsonSpec(input: Record<string, unknown>): JsonCodecSpec {
  return jsonCodecSchema.parse({ format: "json", ...input });
}

/** Any codec spec as the config file would give it. */
export function codecSpec(input: Record<string, unknown>): CodecSpec {
  return codecSchema.parse(input);
}

/** The payload of a message, parsed. */
export function payloadOf(message: SourceMessage | undefined): unknown {
  if (message === undefined) {
    throw new Error("no message");
  }
  return JSON.parse(message.data.toString("utf8"));
}

/** A logger at `debug` whose JSON lines land in `lines`. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line !== "") {
          lines.push(JSON.parse(line) as LogLine);
        }
      }
      done();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

/** One parsed pino line. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}
