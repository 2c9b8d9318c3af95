/**
 * Topic names and patterns, the subscription index that fan-out consults
 * for every message, and the topic graph that orders messages per topic.
 */

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
  TopicError,
  validatePattern,
  validateTopic,
} from "./topic.js";
export type { TopicGraphOptions, TopicInfo } from "./topic-graph.js";
export { createEpoch, TopicGraph } from "./topic-graph.js";
