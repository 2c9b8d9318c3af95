/**
 * Fan-out: routes each published message and notice to the sessions that
 * want it, encoded once per wire format. The client protocols live in
 * `ws/` (and later `grpc/`), each behind its own index.
 */

export type {
  DeliveryObserver,
  Recipient,
  SubscribeOutcome,
  SubscriptionDemand,
  SubscriptionProblem,
} from "./fanout.js";
export { EncodedEnvelope, EncodedNotice, Fanout } from "./fanout.js";
export { encodeNoticeJson, encodeResetJson } from "./notice-json.js";
export type {
  QueueItem,
  QueueSink,
  SessionQueueOptions,
  SessionQueueStats,
  SlowConsumerPolicy,
} from "./session-queue.js";
export {
  SessionQueue,
  SLOW_CONSUMER,
  SLOW_CONSUMER_POLICIES,
} from "./session-queue.js";
export { policyFromProto, policyToProto } from "./subscription-policies.js";
export {
  encodeMessageProto,
  encodeNoticeProto,
  encodeServerFrame,
  toEnvelopeProto,
  toGapProto,
  toResetProto,
} from "./wire-proto.js";
