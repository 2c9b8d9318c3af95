#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so a checkout works
// after `npm ci` with no separate build step.
import { register } from "tsx/esm/api";

register();

// Tracing must start before anything imports @grpc/grpc-js, or gRPC calls
// go untraced; only the long-running commands pay the SDK's startup cost.
const command = process.argv.slice(2).find((arg) => !arg.startsWith("-"));
if (command === "serve" || command === "demo") {
  const { startTracing } = await import("../src/telemetry/tracing.ts");
  try {
    await startTracing();
  } catch (err) {
    process.stderr.write(`tracing disabled: ${err?.message ?? err}\n`);
  }
}
await import("../src/cli/main.ts");
