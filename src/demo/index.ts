export type { AlphaFeed, AlphaFeedOptions } from "./alpha-feed.js";
export { ALPHA_API_KEY, alphaFrame, startAlphaFeed } from "./alpha-feed.js";
export type { BetaFeed, BetaFeedOptions } from "./beta-feed.js";
export { BETA_SUBSCRIBE, betaFrame, startBetaFeed } from "./beta-feed.js";
export { ALPHA_CODEC, BETA_CODEC, demoConfig } from "./demo-config.js";
export type { Demo, DemoOptions } from "./run-demo.js";
export { startDemo } from "./run-demo.js";
export type { Trade, TradeTapeOptions } from "./trade-tape.js";
export { DEMO_SYMBOLS, TradeTape } from "./trade-tape.js";
