export type { SourceRuntime } from "./gateway.js";
export { Gateway } from "./gateway.js";
