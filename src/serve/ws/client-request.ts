import { z } from "zod";
import { formatPath } from "../../config/index.js";
import { SLOW_CONSUMER_POLICIES } from "../session-queue.js";
import { ProtocolError, WsErrorCode } from "./error-codes.js";

/** Longest request id echoed back; longer ones are refused. */
const MAX_REQUEST_ID_LENGTH = 128;

const requestId = z
  .union([z.string().max(MAX_REQUEST_ID_LENGTH), z.number()])
  .transform(String)
  .optional();

const topicList = z.array(z.string()).min(1, "at least one topic");

const resumePoint = z.object({
  epoch: z.string().min(1),
  seq: z.number().int().nonnegative(),
});

const subscribeRequest = z.object({
  type: z.literal("subscribe"),
  id: requestId,
  topics: topicList,
  /** Per topic, the last message the client has: `{epoch, seq}`. */
  resume: z.record(z.string(), resumePoint).optional(),
  /**
   * The slow-consumer policy of these patterns; the gateway's default
   * when absent. A held pattern subscribed again with a policy takes it.
   */
  policy: z.enum(SLOW_CONSUMER_POLICIES).optional(),
});

const unsubscribeRequest = z.object({
  type: z.literal("unsubscribe"),
  id: requestId,
  topics: topicList,
});

const pingRequest = z.object({ type: z.literal("ping"), id: requestId });

const requestSchemas = {
  subscribe: subscribeRequest,
  unsubscribe: unsubscribeRequest,
  ping: pingRequest,
} as const;

export type SubscribeRequest = z.infer<typeof subscribeRequest>;
export type UnsubscribeRequest = z.infer<typeof unsubscribeRequest>;
export type PingRequest = z.infer<typeof pingRequest>;
export type ClientRequest = SubscribeRequest | UnsubscribeRequest | PingRequest;

/**
 * Parses one text frame of the JSON client protocol. Throws
 * {@link ProtocolError} with the most specific code that fits; the error
 * carries the request id whenever the frame had a readable one.
 */
export function parseClientRequest(text: string): ClientRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ProtocolError(WsErrorCode.BAD_JSON, `malformed JSON: ${reason}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError(
      WsErrorCode.BAD_REQUEST,
      "a request must be a JSON object with a type",
    );
  }

  return checkClientRequest(value as Record<string, unknown>);
}

/**
 * Validates a request object however it arrived (parsed JSON, a decoded
 * protobuf frame) against the request schemas, so every subprotocol
 * applies the same rules. Throws {@link ProtocolError} like
 * {@link parseClientRequest}, minus BAD_JSON.
 */
export function checkClientRequest(
  fields: Readonly<Record<string, unknown>>,
): ClientRequest {
  const id = readableId(fields.id);
  const type = fields.type;
  if (typeof type !== "string") {
    throw new ProtocolError(
      WsErrorCode.BAD_REQUEST,
      "type: required, one of subscribe, unsubscribe, ping",
      id,
    );
  }
  if (!Object.hasOwn(requestSchemas, type)) {
    throw new ProtocolError(
      WsErrorCode.UNKNOWN_TYPE,
      `unknown type ${JSON.stringify(type.slice(0, 64))}; ` +
        "expected subscribe, unsubscribe or ping",
      id,
    );
  }

  const schema = requestSchemas[type as keyof typeof requestSchemas];
  const result = schema.safeParse(fields);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue === undefined ? "(request)" : formatPath(issue.path);
    throw new ProtocolError(
      WsErrorCode.BAD_REQUEST,
      `${where}: ${issue?.message ?? "invalid request"}`,
      id,
    );
  }
  return result.data;
}

/**
 * The request id to echo in an error, or undefined when `id` is not one
 * the protocol accepts (too long, not a string or number).
 */
export function readableId(id: unknown): string | undefined {
  if (typeof id === "number") return String(id);
  if (typeof id === "string" && id.length <= MAX_REQUEST_ID_LENGTH) return id;
  return undefined;
}
