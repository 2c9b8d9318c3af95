export type { Logger, LoggerOptions } from "./logger.js";
export { createLogger, createSilentLogger } from "./logger.js";
