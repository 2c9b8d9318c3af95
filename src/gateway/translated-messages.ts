import { Observable } from "rxjs";
import type { Translator } from "../codecs/index.js";
import type { RawFrame, SourceMessage } from "../envelope/index.js";

/**
 * The messages of a source: each frame translated, and each message of it
 * emitted in order. `mergeMap` over the translated arrays would do the
 * same, but it subscribes to every frame's array as an observable of its
 * own and tears that down again, which at tens of thousands of frames a
 * second costs more than the rest of the step; this emits the messages
 * from the one subscription to the frames.
 *
 * A translator counts bad frames rather than throwing; should it throw
 * anyway, the stream errors, as it would have under `mergeMap`.
 */
export function translatedMessages(
  frames: Observable<RawFrame>,
  translator: Translator,
): Observable<SourceMessage> {
  return new Observable<SourceMessage>((subscriber) =>
    frames.subscribe({
      next(frame) {
        let messages: SourceMessage[];
        try {
          messages = translator.translate(frame);
        } catch (err) {
          subscriber.error(err);
          return;
        }
        for (const message of messages) subscriber.next(message);
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    }),
  );
}
