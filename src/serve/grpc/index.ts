/**
 * The gateway's gRPC server: ControlService over GatewayControl, bearer
 * token auth, TLS, grpc.health.v1.Health and server reflection.
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
export { MAX_PENDING_EVENTS } from "./watch-events.js";
