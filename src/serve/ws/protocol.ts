import type { RawData } from "ws";
import type { QueueItem } from "../session-queue.js";
import type { ClientRequest } from "./client-request.js";
import type { WsErrorCode } from "./error-codes.js";

/** A reply to one request, before a subprotocol encodes it. */
export type WsReply =
  | {
      readonly type: "subscribed" | "unsubscribed";
      readonly id: string | undefined;
      readonly topics: readonly string[];
      /**
       * On `subscribed`, when the request's wildcards overlap topics
       * served on demand: the topics now flowing that they match.
       */
      readonly live?: readonly string[];
    }
  | { readonly type: "pong"; readonly id: string | undefined }
  | {
      readonly type: "error";
      readonly id: string | undefined;
      readonly code: WsErrorCode;
      readonly message: string;
      /** The topic an upstream problem is about. */
      readonly topic?: string;
    };

/**
 * What differs between the client subprotocols: how a client frame becomes
 * a request and how the gateway's frames are encoded. A session picks one
 * when it opens and keeps everything else (validation, subscriptions,
 * resume, queueing) in common.
 */
export interface WsProtocol {
  /** The subprotocol's name, as negotiated in `Sec-WebSocket-Protocol`. */
  readonly name: string;
  /** True when the gateway's frames are binary, false for text. */
  readonly binary: boolean;
  /**
   * Turns one client frame into a checked request. Throws a
   * `ProtocolError` with the code the client is sent.
   */
  parseRequest(data: RawData, isBinary: boolean): ClientRequest;
  /** Encodes a reply frame. */
  encodeReply(reply: WsReply): string | Buffer;
  /**
   * The frame of a queued message or notice: the item's shared encoding,
   * made once for every session of this subprotocol.
   */
  frameOf(item: QueueItem): Buffer;
  /**
   * {@link frameOf} as a whole WebSocket frame, header included: the same
   * bytes for every client of this subprotocol, written to each socket
   * as they are.
   */
  framedOf(item: QueueItem): Buffer;
}
