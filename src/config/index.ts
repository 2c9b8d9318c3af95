export type { ConfigProblem } from "./config-error.js";
export { ConfigError, formatPath } from "./config-error.js";
export { loadConfigFile, parseConfig, parseConfigText } from "./load-config.js";
export type {
  Config,
  DedupeConfig,
  GroupConfig,
  HeartbeatConfig,
  LimitsConfig,
  OutgoingFrame,
  ReconnectConfig,
  SourceConfig,
} from "./schema.js";
export { configSchema } from "./schema.js";
