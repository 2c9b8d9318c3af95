export { ProtocolError, WsCloseCode, WsErrorCode } from "./error-codes.js";
export type { WsSubprotocol } from "./protocols.js";
export { WS_SUBPROTOCOLS } from "./protocols.js";
export type { StallEvents, StallWatch } from "./stall-watch.js";
export type {
  UpgradeHandler,
  WsGatewayOptions,
  WsSessionChange,
} from "./ws-server.js";
export { WS_PATH, WsGateway } from "./ws-server.js";
export type { WsSessionLimits, WsSessionStats } from "./ws-session.js";
export { WsSession } from "./ws-session.js";
