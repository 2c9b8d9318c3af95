import type { Envelope } from "../../src/envelope/index.js";
import { EncodedEnvelope, type QueueItem } from "../../src/serve/index.js";
import type { GapNotice } from "../../src/topics/index.js";

/** A message of `topic` at `seq`, with a conflation key when given. */
export function envelope(
  topic: string,
  seq: number,
  key?: string,
): EncodedEnvelope {
  const message: Envelope = {
    topic,
    seq,
    epoch: "e1",
    source: "s",
    ingestTime: 0,
    key,
    data: Buffer.from(`{"n":${seq}}`),
    contentType: "application/json",
  };
  return new EncodedEnvelope(message);
}

/** A transport the test opens and closes by hand. */
export class ManualSink {
  open: boolean;
  readonly written: QueueItem[] = [];
  overflowed: string | undefined;

  constructor(open = true) {
    this.open = open;
  }

  ready = () => this.open;
  write = (item: QueueItem) => {
    this.written.push(item);
  };
  overflow = (reason: string) => {
    this.overflowed = reason;
  };
}

/** Items as `topic#seq` and `gap topic from..to`, for comparing. */
export function describeItems(items: readonly QueueItem[]): string[] {
  return items.map((item) => {
    if (item instanceof EncodedEnvelope) {
      return `${item.envelope.topic}#${item.envelope.seq}`;
    }
    const notice = item.notice as GapNotice;
    return `gap ${notice.topic} ${notice.fromSeq}..${notice.toSeq}`;
  });
}
