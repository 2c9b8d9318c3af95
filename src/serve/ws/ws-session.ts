import type { Logger } from "pino";
import { type RawData, WebSocket } from "ws";
import { encodeMessageJson } from "../../codecs/index.js";
import {
  matchesPattern,
  type ReplayItem,
  type ResumePoint,
} from "../../topics/index.js";
import type {
  EncodedEnvelope,
  EncodedNotice,
  Fanout,
  Recipient,
} from "../fanout.js";
import { encodeNoticeJson } from "../notice-json.js";
import {
  type ClientRequest,
  parseClientRequest,
  type SubscribeRequest,
  type UnsubscribeRequest,
} from "./client-request.js";
import { ProtocolError, WsCloseCode, WsErrorCode } from "./error-codes.js";
import {
  asProtocolError,
  checkPattern,
  checkResumeTopic,
  rawToString,
} from "./request-checks.js";
import {
  errorFrame,
  pongFrame,
  subscribedFrame,
  unsubscribedFrame,
} from "./server-frames.js";

/** Limits a session enforces; see `limits` in the config. */
export interface WsSessionLimits {
  readonly maxSubscriptionsPerSession: number;
  /** Bytes buffered in the socket beyond which the client is cut off. */
  readonly maxSessionBufferedBytes: number;
}

/** Counters of one session, as ListClients will show them. */
export interface WsSessionStats {
  requests: number;
  errors: number;
  /** Messages written to the socket, replayed ones included. */
  delivered: number;
  /** Messages of those that came from a topic's history on resume. */
  replayed: number;
  /** Gap notices written, live and replayed. */
  gaps: number;
  /** Reset notices written, live and replayed. */
  resets: number;
  /**
   * Messages and notices not written because the session was closing or
   * too slow.
   */
  dropped: number;
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
  readonly patterns = new Set<string>();
  readonly stats: WsSessionStats = {
    requests: 0,
    errors: 0,
    delivered: 0,
    replayed: 0,
    gaps: 0,
    resets: 0,
    dropped: 0,
  };

  readonly #socket: WebSocket;
  readonly #fanout: Fanout;
  readonly #limits: WsSessionLimits;
  readonly #log: Logger;

  constructor(
    id: string,
    socket: WebSocket,
    remoteAddress: string,
    options: { fanout: Fanout; limits: WsSessionLimits; logger: Logger },
  ) {
    this.id = id;
    this.remoteAddress = remoteAddress;
    this.protocol = socket.protocol || "tributary.v1.json";
    this.#socket = socket;
    this.#fanout = options.fanout;
    this.#limits = options.limits;
    this.#log = options.logger.child({ client: id });

    socket.on("message", (data, isBinary) => this.#onFrame(data, isBinary));
    socket.on("close", (code, reason) => this.#onClose(code, reason));
    // A socket error is followed by close; the listener keeps it from
    // being thrown as an unhandled 'error' event.
    socket.on("error", (err) => {
      this.#log.info({ err: err.message }, "client socket error");
    });
  }

  /** Writes a message frame shared with every other recipient. */
  deliver(message: EncodedEnvelope): void {
    if (this.#write(message.json)) this.stats.delivered++;
  }

  /** Writes a gap or reset frame shared with every other recipient. */
  deliverNotice(notice: EncodedNotice): void {
    if (this.#write(notice.json)) this.#countNotice(notice.notice.type);
  }

  /** Closes the session; its subscriptions go when the socket closes. */
  close(code: number, reason: string): void {
    if (this.#socket.readyState === WebSocket.OPEN) {
      this.#log.info({ code, reason }, "closing client session");
    }
    this.#socket.close(code, reason);
  }

  #onFrame(data: RawData, isBinary: boolean): void {
    this.stats.requests++;
    try {
      if (isBinary) {
        throw new ProtocolError(
          WsErrorCode.UNSUPPORTED_FRAME,
          "binary frames are not part of tributary.v1.json; send JSON text",
        );
      }
      this.#handle(parseClientRequest(rawToString(data)));
    } catch (caught) {
      const err = asProtocolError(caught);
      if (err.code === WsErrorCode.INTERNAL) {
        this.#log.error({ err: caught }, "request failed inside the gateway");
      }
      this.stats.errors++;
      this.#log.info({ code: err.code, reason: err.message }, "bad request");
      this.#sendText(errorFrame(err.requestId, err.code, err.message));
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
        this.#sendText(pongFrame(request.id));
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

    for (const pattern of unique) {
      this.patterns.add(pattern);
      this.#fanout.index.add(pattern, this);
    }
    this.#sendText(subscribedFrame(request.id, request.topics));
    // Same synchronous turn as the index change above: no message can be
    // published between the replay and the live stream, so the seam has
    // neither a duplicate nor a hole.
    for (const [topic, point] of Object.entries(request.resume ?? {})) {
      if (this.#wants(topic)) this.#replay(topic, point);
    }
  }

  /** True when one of the session's patterns matches `topic`. */
  #wants(topic: string): boolean {
    for (const pattern of this.patterns) {
      if (matchesPattern(pattern, topic)) return true;
    }
    return false;
  }

  /** Writes what the client missed of `topic` since `point`. */
  #replay(topic: string, point: ResumePoint): void {
    const items = this.#fanout.graph.replay(topic, point);
    for (const item of items) this.#writeReplayed(item);
    this.#log.debug(
      { topic, epoch: point.epoch, seq: point.seq, items: items.length },
      "replayed topic history",
    );
  }

  #writeReplayed(item: ReplayItem): void {
    if (item.type === "message") {
      // Encoded per session: a replay is one client's, nothing to share.
      if (this.#write(encodeMessageJson(item.envelope))) {
        this.stats.delivered++;
        this.stats.replayed++;
      }
      return;
    }
    if (this.#write(encodeNoticeJson(item))) this.#countNotice(item.type);
  }

  #countNotice(type: "gap" | "reset"): void {
    if (type === "gap") this.stats.gaps++;
    else this.stats.resets++;
  }

  #unsubscribe(request: UnsubscribeRequest): void {
    for (const pattern of request.topics) {
      checkPattern(pattern, request.id);
    }
    // Unsubscribing from a pattern not held is not an error: the reply
    // lists the patterns the session no longer holds, as asked.
    for (const pattern of request.topics) {
      if (this.patterns.delete(pattern)) {
        this.#fanout.index.remove(pattern, this);
      }
    }
    this.#sendText(unsubscribedFrame(request.id, request.topics));
  }

  #onClose(code: number, reason: Buffer): void {
    for (const pattern of this.patterns) {
      this.#fanout.index.remove(pattern, this);
    }
    this.patterns.clear();
    this.#log.info(
      { code, reason: reason.toString(), ...this.stats },
      "client disconnected",
    );
  }

  #sendText(frame: string): void {
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.send(frame);
  }

  /**
   * Writes a stream frame (message or notice) unless the session is
   * closing, or is too slow and gets cut off; true when written.
   */
  #write(frame: Buffer): boolean {
    if (this.#socket.readyState !== WebSocket.OPEN) {
      this.stats.dropped++;
      return false;
    }
    if (this.#socket.bufferedAmount > this.#limits.maxSessionBufferedBytes) {
      this.stats.dropped++;
      this.close(
        WsCloseCode.POLICY_VIOLATION,
        "slow consumer: send buffer limit exceeded",
      );
      return false;
    }
    this.#socket.send(frame, { binary: false });
    return true;
  }
}
