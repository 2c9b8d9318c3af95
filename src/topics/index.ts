/**
 * Topic names and patterns, the subscription index that fan-out consults
 * for every message, and the topic graph that orders messages per topic,
 * keeps their recent history and replays it to resuming subscribers.
 */

export { createEpoch } from "./envelope-stamp.js";
export type {
  GapNotice,
  HistoryItem,
  MessageItem,
  ReplayItem,
  ResetNotice,
  ResumePoint,
} from "./notices.js";
export { NoticeReason } from "./notices.js";

export type {
  SubscriptionIndexOptions,
  SubscriptionIndexStats,
} from "./subscription-index.js";
export { SubscriptionIndex } from "./subscription-index.js";
export type { TopicErrorCode } from "./topic.js";
export {
  isValidPattern,
  isValidTopic,
  isWildcardPattern,
  MAX_TOKEN_LENGTH,
  MAX_TOPIC_TOKENS,
  matchesPattern,
  patternsOverlap,
  TopicError,
  validatePattern,
  validateTopic,
} from "./topic.js";
export type { TopicGraphOptions, TopicInfo } from "./topic-graph.js";
export { TopicGraph } from "./topic-graph.js";
