import { isIP } from "node:net";
import {
  Server,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { AuthConfig, ServerConfig } from "../../config/index.js";
import type { GatewayControl } from "../../gateway/index.js";
import { ControlServiceService } from "../../gen/tributary/v1/control.js";
import { createAuthorizer, withAuth } from "./auth.js";
import { createControlService, MUTATING_RPCS } from "./control-service.js";
import { addHealthService, addReflection } from "./health-reflection.js";
import { createServerCredentials } from "./server-credentials.js";

/** The fully qualified name of ControlService. */
export const CONTROL_SERVICE = "tributary.v1.ControlService";

/** How long stop() lets open calls finish before cutting them. */
const SHUTDOWN_GRACE_MS = 2_000;

/** Another service to serve beside ControlService (StreamService). */
export interface GrpcServiceBinding {
  /** Fully qualified, for health and reflection: `tributary.v1.X`. */
  readonly name: string;
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

/** Options of {@link createGrpcServer}. */
export interface GrpcServerOptions {
  /** The gateway ControlService acts on. */
  readonly control: GatewayControl;
  /** `host`, `grpcPort` (0 picks a free port) and optional `grpcTls`. */
  readonly config: Pick<ServerConfig, "host" | "grpcPort" | "grpcTls">;
  /** `auth.control.tokens`; none means loopback only, unauthenticated. */
  readonly auth: AuthConfig;
  readonly logger: Logger;
  /** Further services, served as they are (their own auth). Default none. */
  readonly services?: readonly GrpcServiceBinding[];
}

/** The gateway's gRPC server. */
export interface GrpcServer {
  /**
   * Checks the settings, binds and serves; resolves with the bound port
   * and reports SERVING. Rejects with an Error an operator can act on: a
   * TLS file that cannot be read, no tokens on a non-loopback host, a port
   * in use.
   */
  start(): Promise<number>;
  /** Health status for the server and each service, as the gateway's. */
  setServing(serving: boolean): void;
  /** Ends watch streams, lets calls finish briefly, then closes. */
  stop(): Promise<void>;
}

/** Creates the gRPC server: ControlService, health and reflection. */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const { config, logger } = options;
  const log = logger.child({ component: "grpc" });
  const authorizer = createAuthorizer(options.auth);
  const control = createControlService({ control: options.control, logger });
  const server = new Server();
  const guarded = withAuth(
    ControlServiceService,
    control.implementation,
    MUTATING_RPCS,
    { authorizer, logger: log },
  );
  server.addService(ControlServiceService, guarded);
  const extra = options.services ?? [];
  for (const service of extra) {
    server.addService(service.definition, service.implementation);
  }
  const names = [CONTROL_SERVICE, ...extra.map((s) => s.name)];
  const health = addHealthService(server, names);
  addReflection(server, names);

  return {
    async start() {
      if (!authorizer.enabled && !isLoopback(config.host)) {
        throw new Error(
          "refusing to serve the control plane without tokens on " +
            `${config.host}: set auth.control.tokens, or server.host to ` +
            "a loopback address",
        );
      }
      const credentials = createServerCredentials(config.grpcTls);
      const target = address(config.host, config.grpcPort);
      const port = await bindAsync(server, target, credentials);
      health.setServing(true);
      log.info(
        { host: config.host, port, tls: tlsMode(config) },
        "grpc listening",
      );
      if (!authorizer.enabled) {
        log.warn(
          { host: config.host, port },
          "control plane is unauthenticated (loopback only): " +
            "set auth.control.tokens to require tokens",
        );
      }
      return port;
    },
    setServing: (serving) => health.setServing(serving),
    async stop() {
      health.setServing(false);
      control.watches.endAll();
      await shutdown(server);
      log.info("grpc stopped");
    },
  };
}

function tlsMode(config: GrpcServerOptions["config"]): string {
  if (config.grpcTls === undefined) return "off";
  return config.grpcTls.clientCaFile === undefined ? "tls" : "mutual";
}

function bindAsync(
  server: Server,
  target: string,
  credentials: ReturnType<typeof createServerCredentials>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(target, credentials, (err, port) => {
      if (err === null) resolve(port);
      else
        reject(
          new Error(`cannot listen for gRPC on ${target}: ${err.message}`),
        );
    });
  });
}

function shutdown(server: Server): Promise<void> {
  return new Promise((resolve) => {
    // A caller that stopped reading would keep its call open for ever.
    const timer = setTimeout(() => server.forceShutdown(), SHUTDOWN_GRACE_MS);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** `host:port`, with an IPv6 literal in brackets. */
function address(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Whether `host` names this machine only. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  if (bare === "localhost" || bare === "::1") return true;
  return isIP(bare) === 4 && bare.startsWith("127.");
}
