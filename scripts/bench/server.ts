/**
 * The server process: runs one system under test (argv[2]: gateway, bare
 * or naive) alone in its process, so that its CPU and memory can be
 * measured apart from the load generator.
 */
import {
  boundLifetime,
  collectGarbage,
  maxMsFromArgv,
  onCommand,
  sendToParent,
} from "./child.js";
import { clockMs, sleepUntil } from "./clock.js";
import {
  type MemoryReport,
  type ServerCommand,
  SYSTEMS,
  type SystemName,
} from "./protocol.js";
import { type RunningSystem, startSystem } from "./systems.js";

function main(): void {
  const system = process.argv[2] as SystemName;
  if (!SYSTEMS.includes(system)) {
    console.error(`server: unknown system ${process.argv[2]}`);
    process.exit(2);
  }
  boundLifetime(`server(${system})`, maxMsFromArgv(120_000));

  let running: RunningSystem | undefined;
  onCommand<ServerCommand>(`server(${system})`, async (command) => {
    switch (command.type) {
      case "start":
        running = await startSystem(system, command.feedUrl);
        sendToParent({ type: "listening", url: running.url });
        return;
      case "memory":
        sendToParent(memoryReport());
        return;
      case "stop":
        // A graceful stop is bounded: the numbers are in already.
        await Promise.race([running?.stop(), sleepUntil(clockMs() + 2000)]);
        // exit() rather than waiting for the loop to drain: a profile
        // (--cpu-prof) is still written, and stray timers cannot hold us.
        process.exit(0);
    }
  });
}

/** RSS and heap after a full collection, when --expose-gc allows one. */
function memoryReport(): MemoryReport {
  collectGarbage();
  const { rss, heapUsed } = process.memoryUsage();
  return { type: "memory", rssBytes: rss, heapUsedBytes: heapUsed };
}

main();
