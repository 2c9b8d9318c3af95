export type { Recipient } from "./fanout.js";
export { EncodedEnvelope, Fanout } from "./fanout.js";
