import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { type RawData, WebSocket } from "ws";
import { DeferredSink } from "../deferred-sink.js";
import type {
  EncodedEnvelope,
  EncodedNotice,
  Fanout,
  Recipient,
  SubscriptionProblem,
} from "../fanout.js";
import { countNotice, queueReplay } from "../resume-replay.js";
import {
  type QueueSink,
  SessionQueue,
  type SessionQueueStats,
  type SlowConsumerPolicy,
} from "../session-queue.js";
import {
  SessionSubscriptions,
  type SubscriptionOrigin,
} from "../session-subscriptions.js";
import type {
  ClientRequest,
  SubscribeRequest,
  UnsubscribeRequest,
} from "./client-request.js";
import { cutAfterGrace } from "./close-grace.js";
import { ProtocolError, WsCloseCode, WsErrorCode } from "./error-codes.js";
import type { WsProtocol, WsReply } from "./protocol.js";
import { protocolFor } from "./protocols.js";
import {
  asProtocolError,
  checkPattern,
  checkResumeTopic,
} from "./request-checks.js";
import { type SharedPing, StallWatch } from "./stall-watch.js";
import type { WriteCoalescer } from "./write-coalescer.js";
import { createWsSink, type WsSink } from "./ws-sink.js";

/** Limits a session enforces; see `limits` in the config. */
export interface WsSessionLimits {
  readonly maxSubscriptionsPerSession: number;
  /** Payload bytes a session may queue while its client is behind. */
  readonly maxSessionBufferedBytes: number;
  /** Messages a session may queue while its client is behind. */
  readonly maxSessionQueueMessages: number;
  /** What happens when the queue is full, unless a subscription chose. */
  readonly slowConsumerPolicy: SlowConsumerPolicy;
  /** `drop-oldest` messages a stalled session keeps. */
  readonly stalledQueueMessages: number;
  /** A ping unanswered this long marks the client stalled. */
  readonly stallTimeoutMs: number;
}

/** What a session is built with. */
export interface WsSessionOptions {
  readonly fanout: Fanout;
  readonly limits: WsSessionLimits;
  readonly logger: Logger;
  /** The upgraded TCP socket under the WebSocket, for write coalescing. */
  readonly rawSocket?: Duplex;
  /** Merges each turn's frames into one write; none writes each at once. */
  readonly coalescer?: WriteCoalescer;
  /**
   * Told when the socket has closed, after the session let go of its
   * subscriptions. One function for all sessions costs less than a close
   * listener of the owner's own on every socket.
   */
  readonly onClose?: (session: WsSession, code: number, reason: Buffer) => void;
}

/** Counters of one session, as ListClients will show them. */
export interface WsSessionStats {
  requests: number;
  errors: number;
  /** Messages that came from a topic's history on resume. */
  replayed: number;
  /** Gap notices written, live and replayed. */
  gaps: number;
  /** Reset notices written, live and replayed. */
  resets: number;
  /** Times a ping went unanswered for `stallTimeoutMs`. */
  stalls: number;
}

/**
 * One client on `/ws`. It owns the client's patterns in the fan-out index
 * and removes all of them when the socket closes.
 *
 * A `subscribe` with `resume` is answered with `subscribed`, then, for each
 * resumed topic that one of the session's patterns matches, what
 * `TopicGraph.replay` gives (messages, gap and reset notices), then the
 * live stream. Resume points of topics no pattern matches are ignored. A
 * resume point for a topic the session already receives live is replayed
 * as asked, which may repeat what this session was sent before.
 */
export class WsSession implements Recipient {
  readonly id: string;
  readonly remoteAddress: string;
  readonly connectedAt = Date.now();
  /** The negotiated subprotocol; the JSON one when none was asked for. */
  readonly protocol: string;
  /** The patterns held, who placed each, and their policies. */
  readonly #subscriptions: SessionSubscriptions;
  readonly stats: WsSessionStats = {
    requests: 0,
    errors: 0,
    replayed: 0,
    gaps: 0,
    resets: 0,
    stalls: 0,
  };

  /**
   * Pings and pongs. While `watch.stalled` the session queues everything,
   * where its policy bounds the backlog; the gateway drives the pings.
   */
  readonly watch: StallWatch;

  readonly #socket: WebSocket;
  readonly #wire: WsProtocol;
  readonly #queue: SessionQueue;
  /** What {@link #createSink} builds the sink from. */
  readonly #rawSocket: Duplex | undefined;
  readonly #coalescer: WriteCoalescer | undefined;
  /** The socket's sink, once the first frame built it. */
  #sink: WsSink | undefined;

  readonly #fanout: Fanout;
  readonly #limits: WsSessionLimits;
  /** The gateway's logger; see {@link #log}. */
  readonly #parentLog: Logger;
  #childLog: Logger | undefined;
  /** See {@link WsSessionOptions.onClose}. */
  readonly #closed: WsSessionOptions["onClose"];

  constructor(
    id: string,
    socket: WebSocket,
    remoteAddress: string,
    options: WsSessionOptions,
  ) {
    this.id = id;
    this.remoteAddress = remoteAddress;
    this.#wire = protocolFor(socket.protocol);
    this.protocol = this.#wire.name;
    this.#socket = socket;
    this.#fanout = options.fanout;
    this.#limits = options.limits;
    this.#parentLog = options.logger;
    this.#rawSocket = options.rawSocket;
    this.#coalescer = options.coalescer;
    this.#closed = options.onClose;

    // Method shorthand, not arrow properties: tsx compiles with esbuild's
    // keepNames, which names each arrow stored in a property through
    // `Object.defineProperty`, and that gives every such closure of every
    // session a property dictionary of its own (about 250 bytes).
    const session = this;
    this.#subscriptions = new SessionSubscriptions(
      options.fanout,
      this,
      options.limits.slowConsumerPolicy,
    );
    this.watch = new StallWatch(socket, options.limits.stallTimeoutMs, {
      stalled(reason) {
        session.#onStall(reason);
      },
      resumed() {
        session.#onResumed();
      },
      ping(ping) {
        return session.#ping(ping);
      },
      sendHeldPing() {
        session.#sink?.sendHeldPing();
      },
    });
    // Most sessions sit idle: the socket's sink and its closures are built
    // for the first frame the queue writes, not for every connection.
    const sink = new DeferredSink(() => this.#createSink());
    this.#queue = new SessionQueue(sink, {
      policy: options.limits.slowConsumerPolicy,
      policyOf(message) {
        return session.#subscriptions.policyOfTopic(message.envelope.topic);
      },
      maxMessages: options.limits.maxSessionQueueMessages,
      maxBytes: options.limits.maxSessionBufferedBytes,
      stalledMaxMessages: options.limits.stalledQueueMessages,
      onDelivered: options.fanout.deliveryHook("websocket"),
    });
    socket.on("message", (data, isBinary) => this.#onFrame(data, isBinary));
    socket.on("close", (code, reason) => {
      this.#onClose(code, reason);
      this.#closed?.(this, code, reason);
    });
    // A socket error is followed by close; the listener keeps it from
    // being thrown as an unhandled 'error' event.
    socket.on("error", (err) => {
      this.#log.info({ err: err.message }, "client socket error");
    });
  }

  /**
   * The session's child logger, made for its first line: a session that
   * connects and stays quiet logs nothing until it closes, and a child
   * logger held by each of thousands of idle sessions adds up.
   */
  get #log(): Logger {
    this.#childLog ??= this.#parentLog.child({ client: this.id });
    return this.#childLog;
  }

  #createSink(): QueueSink {
    this.#sink = createWsSink({
      socket: this.#socket,
      wire: this.#wire,
      rawSocket: this.#rawSocket,
      coalescer: this.#coalescer,
      stalled: () => this.watch.stalled,
      drain: () => this.#queue.drain(),
      overflow: (reason) => this.close(WsCloseCode.POLICY_VIOLATION, reason),
    });
    return this.#sink;
  }

  /** Messages accepted, delivered, dropped and queued for this client. */
  get delivery(): Readonly<SessionQueueStats> {
    return this.#queue.stats;
  }

  /** Sends a message frame shared with every other recipient. */
  deliver(message: EncodedEnvelope): void {
    this.watch.sending();
    this.#queue.push(message);
  }

  /** Sends a gap or reset frame shared with every other recipient. */
  deliverNotice(notice: EncodedNotice): void {
    countNotice(this.stats, notice.notice.type);
    this.watch.sending();
    this.#queue.push(notice);
  }

  /** Patterns the session may hold at once. */
  get maxSubscriptions(): number {
    return this.#limits.maxSubscriptionsPerSession;
  }

  /**
   * Subscribes the session for the control plane, which has checked the
   * patterns and the limit, and sends the client the `subscribed` frame
   * it would have had for asking, with an empty id. No resume: the client
   * named no resume points.
   */
  controlSubscribe(
    patterns: readonly string[],
    policy?: SlowConsumerPolicy,
  ): void {
    this.#subscribeHeld(patterns, "", "control", policy);
  }

  /** The slow-consumer policy of a pattern the session holds. */
  policyOf(pattern: string): SlowConsumerPolicy {
    return this.#subscriptions.policyOf(pattern);
  }

  /** The patterns the session holds. */
  get patterns(): ReadonlySet<string> {
    return this.#subscriptions.patterns;
  }

  /** Who placed each of {@link patterns}. */
  get origins(): ReadonlyMap<string, SubscriptionOrigin> {
    return this.#subscriptions.origins;
  }

  /**
   * Tells the client that a topic it holds does not flow: an `error`
   * frame with no id, the code, the topic and the upstream's reason.
   */
  deliverProblem(problem: SubscriptionProblem): void {
    const { code, message, topic } = problem;
    this.#log.info({ code, topic }, "told client of an upstream problem");
    // No request asked for this, so the frame carries no id.
    this.#reply({ type: "error", id: undefined, code, message, topic });
  }

  /** Unsubscribes for the control plane, whoever placed the patterns. */
  controlUnsubscribe(patterns: readonly string[]): void {
    this.#release(patterns);
    this.#reply({ type: "unsubscribed", id: "", topics: patterns });
  }

  /** Closes the session; its subscriptions go when the socket closes. */
  close(code: number, reason: string): void {
    if (this.#socket.readyState === WebSocket.OPEN) {
      this.#log.info({ code, reason }, "closing client session");
      // What was written this turn goes out before the close frame.
      this.#sink?.flush();
    }
    this.#socket.close(code, reason);
    cutAfterGrace(this.#socket);
  }

  /**
   * Sends a heartbeat's shared ping: held for the next message's write
   * when the session batches its writes, else written now, as the same
   * bytes every session gets.
   */
  #ping(ping: SharedPing): boolean {
    if (this.#sink?.holdPing(ping.frame)) return true;
    if (this.#rawSocket === undefined) {
      this.#socket.ping(ping.payload);
    } else {
      this.#rawSocket.write(ping.frame);
    }
    return false;
  }

  #onResumed(): void {
    this.#log.info({ ...this.delivery }, "stalled client reads again");
    this.#queue.resume();
    this.#queue.drain();
  }

  #onStall(reason: string): void {
    this.stats.stalls++;
    if (this.#subscriptions.anyDisconnect()) {
      this.close(WsCloseCode.POLICY_VIOLATION, reason);
      return;
    }
    this.#queue.stall();
    this.#log.info({ reason, ...this.delivery }, "client stalled");
  }

  #onFrame(data: RawData, isBinary: boolean): void {
    this.stats.requests++;
    try {
      this.#handle(this.#wire.parseRequest(data, isBinary));
    } catch (caught) {
      const err = asProtocolError(caught);
      if (err.code === WsErrorCode.INTERNAL) {
        this.#log.error({ err: caught }, "request failed inside the gateway");
      }
      this.stats.errors++;
      this.#log.info({ code: err.code, reason: err.message }, "bad request");
      const { requestId: id, code, message } = err;
      this.#reply({ type: "error", id, code, message });
    }
  }

  #handle(request: ClientRequest): void {
    switch (request.type) {
      case "subscribe":
        this.#subscribe(request);
        return;
      case "unsubscribe":
        this.#unsubscribe(request);
        return;
      case "ping":
        this.#reply({ type: "pong", id: request.id });
        return;
    }
  }

  #subscribe(request: SubscribeRequest): void {
    // Check everything before changing anything, so a request with one
    // bad pattern subscribes to none of them.
    for (const pattern of request.topics) {
      checkPattern(pattern, request.id);
    }
    for (const topic of Object.keys(request.resume ?? {})) {
      checkResumeTopic(topic, request.id);
    }
    const added = request.topics.filter((p) => !this.patterns.has(p));
    const unique = new Set(added);
    const limit = this.#limits.maxSubscriptionsPerSession;
    if (this.patterns.size + unique.size > limit) {
      throw new ProtocolError(
        WsErrorCode.TOO_MANY_SUBSCRIPTIONS,
        `subscribing to ${unique.size} more patterns would exceed the ` +
          `limit of ${limit} per session (${this.patterns.size} held)`,
        request.id,
      );
    }

    const patterns = [...new Set(request.topics)];
    this.#subscribeHeld(patterns, request.id, "client", request.policy);
    // Same synchronous turn as the index change above: no message can be
    // published between the replay and the live stream, so the seam has
    // neither a duplicate nor a hole.
    const points = Object.entries(request.resume ?? {});
    const queued = queueReplay(
      this.#fanout.graph,
      this.patterns,
      points,
      this.#queue,
      this.stats,
    );
    if (points.length > 0) {
      this.#log.debug({ points: points.length, queued }, "replayed history");
    }
  }

  #unsubscribe(request: UnsubscribeRequest): void {
    for (const pattern of request.topics) {
      checkPattern(pattern, request.id);
    }
    // Unsubscribing from a pattern not held is not an error: the reply
    // lists the patterns the session no longer holds, as asked.
    this.#release(request.topics);
    const { id, topics } = request;
    this.#reply({ type: "unsubscribed", id, topics });
  }

  /**
   * Holds the checked patterns and answers `subscribed` with those the
   * session now holds, then an `error` for each topic upstream demand
   * refused or reported (after the reply, so the client reads the reply
   * first).
   */
  #subscribeHeld(
    patterns: readonly string[],
    id: string | undefined,
    origin: SubscriptionOrigin,
    policy: SlowConsumerPolicy | undefined,
  ): void {
    const problems = this.#hold(patterns, origin, policy);
    const refused = new Set(
      problems.filter((p) => p.code === "UPSTREAM_LIMIT").map((p) => p.topic),
    );
    const topics =
      refused.size === 0 ? patterns : patterns.filter((p) => !refused.has(p));
    const live = this.#fanout.liveTopics(topics);
    this.#reply({
      type: "subscribed",
      id,
      topics,
      ...(live === undefined ? {} : { live }),
    });
    for (const { code, message, topic } of problems) {
      this.#reply({ type: "error", id, code, message, topic });
    }
  }

  /**
   * Takes each pattern (see `SessionSubscriptions.take`). Returns what
   * upstream demand said of them; a pattern it refused is not held.
   */
  #hold(
    patterns: readonly string[],
    origin: SubscriptionOrigin,
    policy: SlowConsumerPolicy | undefined,
  ): SubscriptionProblem[] {
    const problems: SubscriptionProblem[] = [];
    for (const pattern of patterns) {
      const outcome = this.#subscriptions.take(pattern, origin, policy);
      if (outcome.problem !== undefined) problems.push(outcome.problem);
    }
    return problems;
  }

  /** Drops the patterns held; the others are not an error. */
  #release(patterns: readonly string[]): void {
    for (const pattern of patterns) this.#subscriptions.release(pattern);
  }

  #onClose(code: number, reason: Buffer): void {
    this.#subscriptions.releaseAll();
    this.#queue.clear();
    this.#log.info(
      { code, reason: reason.toString(), ...this.stats, ...this.delivery },
      "client disconnected",
    );
  }

  /** Replies go around the queue: they are few and answer the client. */
  #reply(reply: WsReply): void {
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    // Behind the messages already written this turn, not ahead of them.
    this.#sink?.flush();
    const frame = this.#wire.encodeReply(reply);
    this.#socket.send(frame, { binary: this.#wire.binary });
  }
}
