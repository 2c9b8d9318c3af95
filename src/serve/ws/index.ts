export { ProtocolError, WsCloseCode, WsErrorCode } from "./error-codes.js";
export type { WsGatewayOptions, WsSessionChange } from "./ws-server.js";
export { WS_PATH, WS_SUBPROTOCOLS, WsGateway } from "./ws-server.js";
export type { WsSessionLimits, WsSessionStats } from "./ws-session.js";
export { WsSession } from "./ws-session.js";
