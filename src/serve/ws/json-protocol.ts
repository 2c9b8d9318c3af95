import type { RawData } from "ws";
import type { QueueItem } from "../session-queue.js";
import { type ClientRequest, parseClientRequest } from "./client-request.js";
import { ProtocolError, WsErrorCode } from "./error-codes.js";
import type { WsProtocol, WsReply } from "./protocol.js";
import { rawToString } from "./request-checks.js";

/** The name of the JSON subprotocol, also the default. */
export const JSON_SUBPROTOCOL = "tributary.v1.json";

/**
 * `tributary.v1.json`: UTF-8 JSON text frames both ways. Binary client
 * frames are refused with UNSUPPORTED_FRAME.
 */
export const jsonProtocol: WsProtocol = {
  name: JSON_SUBPROTOCOL,
  binary: false,

  parseRequest(data: RawData, isBinary: boolean): ClientRequest {
    if (isBinary) {
      throw new ProtocolError(
        WsErrorCode.UNSUPPORTED_FRAME,
        "binary frames are not part of tributary.v1.json; send JSON text",
      );
    }
    return parseClientRequest(rawToString(data));
  },

  // The reply objects already have the frame's field order and names;
  // an absent id is left out.
  encodeReply(reply: WsReply): string {
    return JSON.stringify(reply);
  },

  frameOf(item: QueueItem): Buffer {
    return item.json;
  },

  framedOf(item: QueueItem): Buffer {
    return item.jsonFrame;
  },
};
