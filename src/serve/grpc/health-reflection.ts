import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Server } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import {
  HealthImplementation,
  protoPath as healthProtoPath,
} from "grpc-health-check";

/** The directory of our .proto files, found from this module's location. */
const PROTO_DIR = fileURLToPath(new URL("../../../proto/", import.meta.url));

/** The fully qualified name of the standard health service. */
export const HEALTH_SERVICE = "grpc.health.v1.Health";

/** A health service whose statuses change together with the gateway's. */
export interface HealthService {
  /** SERVING or NOT_SERVING for the server ("") and every named service. */
  setServing(serving: boolean): void;
}

/**
 * Adds grpc.health.v1.Health to `server`, NOT_SERVING until setServing,
 * for the whole server ("") and each of `services`.
 */
export function addHealthService(
  server: Server,
  services: readonly string[],
): HealthService {
  const names = ["", ...services];
  const health = new HealthImplementation(
    Object.fromEntries(names.map((name) => [name, "NOT_SERVING"])),
  );
  health.addToServer(server);
  return {
    setServing(serving) {
      const status = serving ? "SERVING" : "NOT_SERVING";
      for (const name of names) health.setStatus(name, status);
    },
  };
}

/**
 * Adds server reflection (v1 and v1alpha) describing `services`, with
 * every message type of proto/tributary/v1 and the health service, so
 * grpcurl and similar tools can list and call them.
 */
export function addReflection(
  server: Server,
  services: readonly string[],
): void {
  const dir = `${PROTO_DIR}tributary/v1/`;
  const files = readdirSync(dir)
    .filter((name) => name.endsWith(".proto"))
    .map((name) => `tributary/v1/${name}`);
  const definition = loadSync([...files, healthProtoPath], {
    includeDirs: [PROTO_DIR],
  });
  const reflection = new ReflectionService(definition, {
    services: [...services, HEALTH_SERVICE],
  });
  reflection.addToServer(server);
}
