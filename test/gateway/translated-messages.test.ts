import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Subject } from "rxjs";
import type { Translator } from "../../src/codecs/index.js";
import type { RawFrame, SourceMessage } from "../../src/envelope/index.js";
import { translatedMessages } from "../../src/gateway/translated-messages.js";

function frame(text: string): RawFrame {
  return {
    source: "s",
    data: Buffer.from(text),
    isBinary: false,
    receivedAt: 1,
  };
}

/** Splits a frame's text on commas, one message per part. */
const splitter: Translator = {
  translate(raw: RawFrame): SourceMessage[] {
    const text = raw.data.toString();
    if (text === "boom") throw new Error("codec bug");
    return text
      .split(",")
      .filter((part) => part !== "")
      .map((part) => ({
        topic: `t.${part}`,
        source: "s",
        ingestTime: 1,
        data: Buffer.from(part),
        contentType: "text/plain",
      }));
  },
  stats: { frames: 0, messages: 0, skipped: 0, failed: 0 },
};

describe("translatedMessages", () => {
  it("emits every message of every frame, in order", () => {
    const frames = new Subject<RawFrame>();
    const topics: string[] = [];
    let completed = false;
    translatedMessages(frames, splitter).subscribe({
      next: (m) => topics.push(m.topic),
      complete: () => {
        completed = true;
      },
    });
    frames.next(frame("a,b"));
    frames.next(frame(""));
    frames.next(frame("c"));
    frames.complete();
    assert.deepEqual(topics, ["t.a", "t.b", "t.c"]);
    assert.equal(completed, true);
  });

  it("errors the stream when the translator throws", () => {
    const frames = new Subject<RawFrame>();
    const seen: string[] = [];
    let failure: unknown;
    translatedMessages(frames, splitter).subscribe({
      next: (m) => seen.push(m.topic),
      error: (err) => {
        failure = err;
      },
    });
    frames.next(frame("a"));
    frames.next(frame("boom"));
    frames.next(frame("b"));
    assert.deepEqual(seen, ["t.a"]);
    assert.match(String(failure), /codec bug/);
    assert.equal(frames.observed, false, "the frames were let go");
  });

  it("lets go of the frames when unsubscribed", () => {
    const frames = new Subject<RawFrame>();
    const subscription = translatedMessages(frames, splitter).subscribe();
    assert.equal(frames.observed, true);
    subscription.unsubscribe();
    assert.equal(frames.observed, false);
  });
});
