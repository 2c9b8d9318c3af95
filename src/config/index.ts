export type { ConfigProblem } from "./config-error.js";
export { ConfigError, formatPath } from "./config-error.js";
export { loadConfigFile, parseConfig, parseConfigText } from "./load-config.js";
export type {
  AuthConfig,
  Config,
  DedupeConfig,
  DeflateConfig,
  FailbackConfig,
  GroupConfig,
  HeartbeatConfig,
  LimitsConfig,
  OutgoingFrame,
  ReconnectConfig,
  ServerConfig,
  SourceConfig,
} from "./schema.js";
export { configSchema, groupSchema, sourceSchema } from "./schema.js";
