import type { QueueItem, QueueSink } from "./session-queue.js";

/**
 * A sink built by `create` when the queue first asks for it, for
 * transports whose sink costs memory that a session which never receives
 * anything should not pay.
 */
export class DeferredSink implements QueueSink {
  readonly #create: () => QueueSink;
  #sink: QueueSink | undefined;

  constructor(create: () => QueueSink) {
    this.#create = create;
  }

  ready(): boolean {
    return this.#built().ready();
  }

  write(item: QueueItem): void {
    this.#built().write(item);
  }

  overflow(reason: string): void {
    this.#built().overflow(reason);
  }

  #built(): QueueSink {
    this.#sink ??= this.#create();
    return this.#sink;
  }
}
