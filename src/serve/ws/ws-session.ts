import type { Logger } from "pino";
import { type RawData, WebSocket } from "ws";
import { encodeGapJson } from "../../codecs/index.js";
import {
  TopicError,
  validatePattern,
  validateTopic,
} from "../../topics/index.js";
import type { EncodedEnvelope, Fanout, Recipient } from "../fanout.js";
import {
  type ClientRequest,
  parseClientRequest,
  type SubscribeRequest,
  type UnsubscribeRequest,
} from "./client-request.js";
import { ProtocolError, WsCloseCode, WsErrorCode } from "./error-codes.js";
import {
  errorFrame,
  pongFrame,
  resetFrame,
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
  /** Messages written to the socket. */
  delivered: number;
  /** Messages not written because the session was closing or too slow. */
  dropped: number;
}

/**
 * One client on `/ws`. It owns the client's patterns in the fan-out index
 * and removes all of them when the socket closes.
 */
export class WsSession implements Recipient {
  readonly id: string;
  readonly remoteAddress: string;
  readonly connectedAt = Date.now();
  readonly patterns = new Set<string>();
  readonly stats: WsSessionStats = {
    requests: 0,
    errors: 0,
    delivered: 0,
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
    if (this.#socket.readyState !== WebSocket.OPEN) {
      this.stats.dropped++;
      return;
    }
    if (this.#socket.bufferedAmount > this.#limits.maxSessionBufferedBytes) {
      this.stats.dropped++;
      this.close(
        WsCloseCode.POLICY_VIOLATION,
        "slow consumer: send buffer limit exceeded",
      );
      return;
    }
    this.#socket.send(message.json, { binary: false });
    this.stats.delivered++;
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
    for (const [topic, point] of Object.entries(request.resume ?? {})) {
      this.#announceMissed(topic, point.epoch, point.seq);
    }
  }

  /**
   * Topic history is not kept yet, so a resuming client cannot be sent
   * what it missed; it is told exactly what that is instead.
   */
  #announceMissed(topic: string, epoch: string, seq: number): void {
    const info = this.#fanout.graph.get(topic);
    if (info === undefined || info.epoch !== epoch) {
      this.#sendText(resetFrame(topic, info?.epoch, "epoch-unknown"));
      return;
    }
    if (info.seq > seq) {
      const gap = {
        topic,
        epoch,
        fromSeq: seq + 1,
        toSeq: info.seq,
        reason: "history-unavailable",
      };
      this.#sendBuffer(encodeGapJson(gap));
    }
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

  #sendBuffer(frame: Buffer): void {
    if (this.#socket.readyState === WebSocket.OPEN) {
      this.#socket.send(frame, { binary: false });
    }
  }
}

/** Keeps a bug in request handling from taking the process down. */
function asProtocolError(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  return new ProtocolError(
    WsErrorCode.INTERNAL,
    "the gateway failed to handle this request; it has been logged",
  );
}

function checkPattern(pattern: string, requestId: string | undefined): void {
  try {
    validatePattern(pattern);
  } catch (err) {
    if (!(err instanceof TopicError)) throw err;
    throw new ProtocolError(
      WsErrorCode.INVALID_PATTERN,
      err.message,
      requestId,
    );
  }
}

function checkResumeTopic(topic: string, requestId: string | undefined): void {
  try {
    validateTopic(topic);
  } catch (err) {
    if (!(err instanceof TopicError)) throw err;
    throw new ProtocolError(
      WsErrorCode.INVALID_TOPIC,
      `resume: ${err.message}`,
      requestId,
    );
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return data.toString("utf8");
}
