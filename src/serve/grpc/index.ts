/**
 * The gateway's gRPC server: ControlService over GatewayControl,
 * StreamService for backend subscribers, bearer token auth, TLS,
 * grpc.health.v1.Health and server reflection.
 */

export type { Authorizer, AuthResult, Caller, Role } from "./auth.js";
export { createAuthorizer, withAuth } from "./auth.js";
export type { FieldContext, GrpcStatus } from "./control-errors.js";
export { toGrpcStatus } from "./control-errors.js";
export type {
  ControlServiceHandle,
  ControlServiceOptions,
} from "./control-service.js";
export { createControlService, MUTATING_RPCS } from "./control-service.js";
export {
  envelopeFromProto,
  streamEventToJson,
} from "./envelope-proto.js";
export type {
  GrpcServer,
  GrpcServerOptions,
  GrpcServiceBinding,
} from "./grpc-server.js";
export {
  CONTROL_SERVICE,
  createGrpcServer,
  isLoopback,
} from "./grpc-server.js";
export type { Subscription } from "./stream-request.js";
export { DEFAULT_MAX_BATCH, MAX_BATCH_LIMIT } from "./stream-request.js";
export type {
  StreamServiceOptions,
  StreamSessionChange,
} from "./stream-service.js";
export { STREAM_SERVICE, StreamService } from "./stream-service.js";
export type {
  StreamSessionLimits,
  StreamSessionOptions,
  StreamSessionStats,
} from "./stream-session.js";
export { StreamSession } from "./stream-session.js";
export { MAX_PENDING_EVENTS } from "./watch-events.js";
