import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import {
  type ChannelCredentials,
  type Client,
  credentials,
  loadPackageDefinition,
  type ServiceClientConstructor,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";

// The clients a stock tool would use, built from the public protos the
// health and reflection packages ship, not from our code.

const require = createRequire(import.meta.url);
const reflectionRoot = join(
  dirname(require.resolve("@grpc/reflection/package.json")),
  "build/proto",
);

function clientClass(file: string, name: string, includeDirs: string[]) {
  const definition = loadSync(file, {
    includeDirs,
    keepCase: true,
    enums: String,
  });
  let node: unknown = loadPackageDefinition(definition);
  for (const part of name.split(".")) {
    node = (node as Record<string, unknown>)[part];
  }
  return node as ServiceClientConstructor;
}

/** Asks grpc.health.v1.Health/Check about `service` ("" = the server). */
export function checkHealth(
  port: number,
  service = "",
  channel: ChannelCredentials = credentials.createInsecure(),
): Promise<string> {
  const Health = clientClass(healthProtoPath, "grpc.health.v1.Health", []);
  const client = new Health(
    `127.0.0.1:${port}`,
    channel,
  ) as unknown as Client & {
    check: (request: object, callback: Callback<{ status: string }>) => void;
  };
  return new Promise((resolve, reject) => {
    client.check({ service }, (err, res) => {
      client.close();
      if (err === null) resolve(res.status);
      else reject(err);
    });
  });
}

/** Lists services through grpc.reflection.v1 server reflection. */
export function listServices(port: number): Promise<string[]> {
  const Reflection = clientClass(
    "grpc/reflection/v1/reflection.proto",
    "grpc.reflection.v1.ServerReflection",
    [reflectionRoot],
  );
  const client = new Reflection(
    `127.0.0.1:${port}`,
    credentials.createInsecure(),
  ) as unknown as Client & { ServerReflectionInfo: () => ReflectionStream };
  return new Promise((resolve, reject) => {
    const stream = client.ServerReflectionInfo();
    stream.on("data", (res: ReflectionResponse) => {
      stream.end();
      client.close();
      const names = res.list_services_response?.service ?? [];
      resolve(names.map((s) => s.name).sort());
    });
    stream.on("error", reject);
    stream.write({ list_services: "*" });
  });
}

type Callback<T> = (err: Error | null, response: T) => void;

interface ReflectionStream {
  on(event: "data", listener: (res: ReflectionResponse) => void): void;
  on(event: "error", listener: (err: Error) => void): void;
  write(request: object): void;
  end(): void;
}

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
}
