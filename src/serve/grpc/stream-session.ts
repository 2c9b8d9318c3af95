import { Metadata, type ServerWritableStream, status } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type {
  StreamEvent,
  SubscribeRequest,
  SubscribeResponse,
} from "../../gen/tributary/v1/stream.js";
import type {
  EncodedEnvelope,
  EncodedNotice,
  Fanout,
  Recipient,
  SubscriptionProblem,
} from "../fanout.js";
import { countNotice, queueReplay } from "../resume-replay.js";
import {
  type QueueItem,
  type QueueSink,
  SessionQueue,
  type SessionQueueStats,
  type SlowConsumerPolicy,
} from "../session-queue.js";
import {
  SessionSubscriptions,
  type SubscriptionOrigin,
} from "../session-subscriptions.js";
import type { GrpcStatus } from "./control-errors.js";
import { eventSizeOf, toStreamEvent } from "./envelope-proto.js";
import type { Subscription } from "./stream-request.js";

/**
 * Bytes of responses handed to grpc-js and not yet taken by HTTP/2 before
 * the session stops writing and starts queueing. Like the WebSocket
 * session's socket high-water mark: the backlog of a slow reader belongs
 * in the session queue, where the slow-consumer policy applies.
 */
const CALL_HIGH_WATER_BYTES = 256 * 1024;

/**
 * Bytes after which a response is sent even with room for more events,
 * well below grpc-js's default 4 MiB receive limit of a client.
 */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Limits a stream session enforces; see `limits` in the config. */
export interface StreamSessionLimits {
  readonly maxSubscriptionsPerSession: number;
  /** Payload bytes a session may queue while its client is behind. */
  readonly maxSessionBufferedBytes: number;
  /** Messages a session may queue while its client is behind. */
  readonly maxSessionQueueMessages: number;
  /** What happens when the queue is full, unless the call chose. */
  readonly slowConsumerPolicy: SlowConsumerPolicy;
  /** `drop-oldest` messages a stalled session keeps. */
  readonly stalledQueueMessages: number;
  /**
   * A call with responses in flight that HTTP/2 took none of for this
   * long is stalled.
   */
  readonly stallTimeoutMs: number;
}

/** A Subscribe call as grpc-js hands it to the handler. */
export type SubscribeCall = ServerWritableStream<
  SubscribeRequest,
  SubscribeResponse
>;

/** Counters of one stream session beyond its queue's. */
export interface StreamSessionStats {
  /** SubscribeResponses written. */
  responses: number;
  /** Messages that came from a topic's history on resume. */
  replayed: number;
  /** Gap notices sent, live and replayed. */
  gaps: number;
  /** Reset notices sent, live and replayed. */
  resets: number;
  /** Times the call went `stallTimeoutMs` without progress. */
  stalls: number;
}

/** Options of a {@link StreamSession}. */
export interface StreamSessionOptions {
  readonly fanout: Fanout;
  readonly limits: StreamSessionLimits;
  readonly logger: Logger;
  /** Called once when the session ends, with why (`CANCELLED kicked`). */
  readonly onEnd: (reason: string) => void;
}

/**
 * One Subscribe call. It owns the call's patterns in the fan-out index
 * from {@link open} until the call ends, for whatever reason.
 *
 * Events go through a {@link SessionQueue} into a batch that is written as
 * one SubscribeResponse when it holds `maxBatch` events or on the next
 * turn of the event loop, so everything a busy topic publishes in one
 * turn shares a write. The queue sees the call as ready while grpc-js
 * takes writes (the last `write()` returned true, or 'drain' came since)
 * and little is in flight; a caller that stops reading stops HTTP/2 flow
 * control, then the session's writes, and only its own queue fills.
 */
export class StreamSession implements Recipient {
  readonly id: string;
  readonly remoteAddress: string;
  readonly connectedAt = Date.now();
  /** The patterns held, who placed each, and their policies. */
  readonly #subscriptions: SessionSubscriptions;
  /** Events per response at most. */
  readonly maxBatch: number;
  readonly stats: StreamSessionStats = {
    responses: 0,
    replayed: 0,
    gaps: 0,
    resets: 0,
    stalls: 0,
  };

  readonly #call: SubscribeCall;
  readonly #subscription: Subscription;
  readonly #queue: SessionQueue;
  readonly #options: StreamSessionOptions;
  readonly #log: Logger;
  #batch: StreamEvent[] = [];
  #batchBytes = 0;
  #flushScheduled = false;
  /** False from a `write()` that returned false until 'drain'. */
  #writable = true;
  /** Bytes of responses whose write callback has not come yet. */
  #inFlightBytes = 0;
  /**
   * When HTTP/2 last took a response (a write callback or 'drain'), or a
   * write went out with nothing in flight; `performance.now()` ms.
   */
  #lastProgress = 0;
  #stalled = false;
  #ended = false;

  constructor(
    id: string,
    call: SubscribeCall,
    subscription: Subscription,
    options: StreamSessionOptions,
  ) {
    this.id = id;
    this.remoteAddress = call.getPeer();
    this.maxBatch = subscription.maxBatch;
    this.#call = call;
    this.#subscription = subscription;
    this.#options = options;
    this.#log = options.logger.child({ client: id });
    const { limits } = options;
    this.#subscriptions = new SessionSubscriptions(
      options.fanout,
      this,
      limits.slowConsumerPolicy,
    );
    this.#queue = new SessionQueue(this.#createSink(), {
      policy: limits.slowConsumerPolicy,
      policyOf: (message) =>
        this.#subscriptions.policyOfTopic(message.envelope.topic),
      maxMessages: limits.maxSessionQueueMessages,
      maxBytes: limits.maxSessionBufferedBytes,
      stalledMaxMessages: limits.stalledQueueMessages,
      onDelivered: options.fanout.deliveryHook("grpc"),
    });
    call.on("drain", () => {
      this.#writable = true;
      this.#progressed();
    });
    // grpc-js emits 'cancelled' however the call ends: the caller
    // cancelled, the connection went, or a status was sent.
    call.on("cancelled", () => this.#release("cancelled by the client"));
  }

  /** Messages accepted, delivered, dropped and queued for this caller. */
  get delivery(): Readonly<SessionQueueStats> {
    return this.#queue.stats;
  }

  /**
   * The patterns the call receives now; after it ended, those it held
   * last (for its session span).
   */
  get patterns(): ReadonlySet<string> {
    return this.#subscriptions.patterns;
  }

  /** Who placed each pattern: the Subscribe call or the control plane. */
  get origins(): ReadonlyMap<string, SubscriptionOrigin> {
    return this.#subscriptions.origins;
  }

  /** Patterns the session may hold at once. */
  get maxSubscriptions(): number {
    return this.#options.limits.maxSubscriptionsPerSession;
  }

  /**
   * True from the moment a message found the call with responses in
   * flight and none taken for `stallTimeoutMs`, until HTTP/2 takes one.
   */
  get stalled(): boolean {
    return this.#stalled;
  }

  /** The slow-consumer policy of a pattern the call holds. */
  policyOf(pattern: string): SlowConsumerPolicy {
    return this.#subscriptions.policyOf(pattern);
  }

  /**
   * Adds patterns for the control plane, which has checked them and the
   * limit. stream.proto has no reply event, so the caller just starts
   * receiving the matching topics; there is no resume.
   */
  controlSubscribe(
    patterns: readonly string[],
    policy: SlowConsumerPolicy | undefined,
  ): void {
    if (this.#ended) return;
    for (const pattern of patterns) this.#take(pattern, "control", policy);
  }

  /**
   * Tells the caller that a topic of its subscription does not flow, as a
   * `problem` event; it goes around the queue, like a WebSocket error.
   */
  deliverProblem(problem: SubscriptionProblem): void {
    if (this.#ended) return;
    const { topic, code, message } = problem;
    this.#log.info({ code, topic }, "told caller of an upstream problem");
    const value = { topic, code, message };
    const bytes = topic.length + code.length + message.length;
    this.#addEvent({ event: { $case: "problem", value } }, bytes);
  }

  /** Drops patterns for the control plane; the caller stops receiving. */
  controlUnsubscribe(patterns: readonly string[]): void {
    if (this.#ended) return;
    for (const pattern of patterns) this.#subscriptions.release(pattern);
  }

  /** True once the call has ended or is ending. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Subscribes the patterns, sends the response headers and replays the
   * resume points of topics the patterns match. All in one synchronous
   * turn: nothing can be published between the replay and the live
   * stream, so the seam has neither a duplicate nor a hole.
   */
  open(): void {
    const { patterns, policy } = this.#subscription;
    for (const pattern of patterns) this.#take(pattern, "client", policy);
    // Headers now, so a caller can tell the subscription is in place
    // before the first event.
    this.#call.sendMetadata(new Metadata());
    queueReplay(
      this.#options.fanout.graph,
      this.patterns,
      this.#subscription.resume,
      this.#queue,
      this.stats,
    );
  }

  /** Queues a message shared with every other recipient. */
  deliver(message: EncodedEnvelope): void {
    // Only a call that is already behind can be stalled; the clock is
    // read for those alone.
    if (this.#queue.stats.queued > 0) this.#judgeProgress();
    if (this.#ended) return;
    this.#queue.push(message);
  }

  /** Queues a gap or reset notice shared with every other recipient. */
  deliverNotice(notice: EncodedNotice): void {
    countNotice(this.stats, notice.notice.type);
    this.#queue.push(notice);
  }

  /**
   * Ends the call with `error` after what is already batched. Its
   * subscriptions go at once. grpc-js sends the status after the
   * responses it holds, so a caller that never reads again never sees it;
   * the memory it holds is what was in flight, bounded above.
   */
  end(error: GrpcStatus): void {
    if (this.#ended) return;
    this.#flush();
    this.#release(`${status[error.code]} ${error.details}`);
    this.#log.info(
      { code: status[error.code], details: error.details },
      "ending stream session",
    );
    // Emitting "error" on a server stream ends it with that status.
    this.#call.emit("error", error);
  }

  /**
   * Adds `pattern` to the fan-out index, unless upstream demand refuses
   * it; a problem it reports is sent as an event. True when held.
   */
  #take(
    pattern: string,
    origin: SubscriptionOrigin,
    policy: SlowConsumerPolicy | undefined,
  ): void {
    const outcome = this.#subscriptions.take(pattern, origin, policy);
    if (outcome.problem !== undefined) this.deliverProblem(outcome.problem);
  }

  /** Adds an item the queue wrote to the batch; sends a full batch. */
  #add(item: QueueItem): void {
    this.#addEvent(toStreamEvent(item), eventSizeOf(item));
  }

  #addEvent(event: StreamEvent, bytes: number): void {
    this.#batch.push(event);
    this.#batchBytes += bytes;
    const full =
      this.#batch.length >= this.maxBatch ||
      this.#batchBytes >= MAX_RESPONSE_BYTES;
    if (full) {
      this.#flush();
    } else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.#flush();
      });
    }
  }

  /** Writes the batch as one response. */
  #flush(): void {
    if (this.#ended || this.#batch.length === 0) return;
    const events = this.#batch;
    const bytes = this.#batchBytes;
    this.#batch = [];
    this.#batchBytes = 0;
    // A busy spell starts now: the stall clock runs from here.
    if (this.#inFlightBytes === 0) this.#lastProgress = performance.now();
    this.#inFlightBytes += bytes;
    this.stats.responses++;
    const accepted = this.#call.write({ events }, () => {
      this.#inFlightBytes -= bytes;
      this.#progressed();
    });
    if (!accepted) this.#writable = false;
  }

  /**
   * HTTP/2 took a response: the caller reads, so a stall is over. Then
   * moves queued items into batches while the call takes them.
   */
  #progressed(): void {
    if (this.#ended) return;
    this.#lastProgress = performance.now();
    if (this.#stalled) {
      this.#stalled = false;
      this.#queue.resume();
      this.#log.info({ ...this.#queue.stats }, "stalled caller reads again");
    }
    this.#queue.drain();
  }

  /**
   * Marks the call stalled when responses wait in flight and HTTP/2 took
   * none for `stallTimeoutMs`: the caller's flow-control window is shut.
   * A call with a `disconnect` pattern ends, RESOURCE_EXHAUSTED; the
   * others' queues act on their policies at once.
   */
  #judgeProgress(): void {
    if (this.#stalled || this.#inFlightBytes === 0) return;
    const timeoutMs = this.#options.limits.stallTimeoutMs;
    if (performance.now() - this.#lastProgress < timeoutMs) return;
    this.#stalled = true;
    this.stats.stalls++;
    const reason = `slow consumer: no progress in ${timeoutMs} ms`;
    if (this.#subscriptions.anyDisconnect()) {
      this.end({ code: status.RESOURCE_EXHAUSTED, details: reason });
      return;
    }
    this.#queue.stall();
    this.#log.info({ reason, ...this.#queue.stats }, "caller stalled");
  }

  /** Leaves the index and forgets the backlog; once. */
  #release(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#subscriptions.releaseAll();
    this.#queue.clear();
    this.#batch = [];
    this.#batchBytes = 0;
    this.#log.info(
      { reason, ...this.stats, ...this.#queue.stats },
      "stream session ended",
    );
    this.#options.onEnd(reason);
  }

  /** The queue's view of the call. */
  #createSink(): QueueSink {
    return {
      ready: () =>
        !this.#ended &&
        this.#writable &&
        this.#inFlightBytes < CALL_HIGH_WATER_BYTES,
      write: (item) => this.#add(item),
      overflow: (reason) =>
        this.end({ code: status.RESOURCE_EXHAUSTED, details: reason }),
    };
  }
}
