import type { RawData } from "ws";
import {
  ClientFrame,
  type ServerFrame,
} from "../../gen/tributary/v1/client_protocol.js";
import type { QueueItem } from "../session-queue.js";
import { policyFromProto } from "../subscription-policies.js";
import { encodeServerFrame } from "../wire-proto.js";
import {
  type ClientRequest,
  checkClientRequest,
  readableId,
} from "./client-request.js";
import { ProtocolError, WsErrorCode } from "./error-codes.js";
import type { WsProtocol, WsReply } from "./protocol.js";
import { rawToBuffer } from "./request-checks.js";

/** The name of the binary subprotocol. */
export const PROTO_SUBPROTOCOL = "tributary.v1.proto";

/**
 * `tributary.v1.proto`: each binary frame is one protobuf message of
 * `proto/tributary/v1/client_protocol.proto`, a `ClientFrame` from the
 * client and a `ServerFrame` from the gateway. A decoded request goes
 * through the same checks as a JSON one; an empty `id` means none.
 */
export const protoProtocol: WsProtocol = {
  name: PROTO_SUBPROTOCOL,
  binary: true,

  parseRequest(data: RawData, isBinary: boolean): ClientRequest {
    if (!isBinary) {
      throw new ProtocolError(
        WsErrorCode.UNSUPPORTED_FRAME,
        "text frames are not part of tributary.v1.proto; " +
          "send binary ClientFrame messages",
      );
    }
    return checkClientRequest(requestFields(decodeClientFrame(data)));
  },

  encodeReply(reply: WsReply): Buffer {
    return encodeServerFrame({ id: reply.id ?? "", frame: frameOf(reply) });
  },

  frameOf(item: QueueItem): Buffer {
    return item.proto;
  },

  framedOf(item: QueueItem): Buffer {
    return item.protoFrame;
  },
};

function decodeClientFrame(data: RawData): ClientFrame {
  try {
    return ClientFrame.decode(rawToBuffer(data));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ProtocolError(
      WsErrorCode.BAD_REQUEST,
      `malformed ClientFrame: ${reason}`,
    );
  }
}

/** The request as the JSON protocol would have spelled it. */
function requestFields(frame: ClientFrame): Record<string, unknown> {
  const id = frame.id === "" ? undefined : frame.id;
  const request = frame.request;
  switch (request?.$case) {
    case undefined:
      throw new ProtocolError(
        WsErrorCode.BAD_REQUEST,
        "request: required, one of subscribe, unsubscribe, ping",
        readableId(id),
      );
    case "subscribe": {
      const { topics, resume } = request.value;
      const policy = policyFromProto(request.value.policy);
      if (policy === null) {
        throw new ProtocolError(
          WsErrorCode.BAD_REQUEST,
          `subscribe.policy: unknown SlowConsumerPolicy ${request.value.policy}`,
          readableId(id),
        );
      }
      return { type: "subscribe", id, topics, resume, policy };
    }
    case "unsubscribe":
      return { type: "unsubscribe", id, topics: request.value.topics };
    case "ping":
      return { type: "ping", id };
  }
}

function frameOf(reply: WsReply): ServerFrame["frame"] {
  switch (reply.type) {
    case "subscribed":
    case "unsubscribed":
      return {
        $case: reply.type,
        value: { topics: [...reply.topics], live: [...(reply.live ?? [])] },
      };
    case "pong":
      return { $case: "pong", value: {} };
    case "error":
      return {
        $case: "error",
        value: {
          code: reply.code,
          message: reply.message,
          topic: reply.topic ?? "",
        },
      };
  }
}
