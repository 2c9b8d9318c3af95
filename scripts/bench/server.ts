/**
 * The server process: runs one system under test alone in its process,
 * so that its CPU and memory can be measured apart from the load
 * generator. argv[2] only names it in messages; the `start` command says
 * what to run.
 */
import {
  boundLifetime,
  collectGarbage,
  maxMsFromArgv,
  onCommand,
  sendToParent,
} from "./child.js";
import { clockMs, sleepUntil } from "./clock.js";
import type { MemoryReport, ServerCommand } from "./protocol.js";
import { type RunningSystem, startSystem } from "./systems.js";
import { watchSlowClients } from "./watch.js";

function main(): void {
  const name = `server(${process.argv[2] ?? "?"})`;
  boundLifetime(name, maxMsFromArgv(120_000));

  let running: RunningSystem | undefined;
  onCommand<ServerCommand>(name, async (command) => {
    switch (command.type) {
      case "start":
        running = await startSystem(
          command.spec,
          command.feedUrl,
          command.feedUrls,
        );
        sendToParent({ type: "listening", url: running.url });
        return;
      case "memory":
        sendToParent(memoryReport());
        return;
      case "counts": {
        const counts = running?.counts?.();
        if (counts === undefined) throw new Error("counts: not an ingest path");
        sendToParent(counts);
        return;
      }
      case "watch": {
        const gateway = running?.gateway;
        if (gateway === undefined) throw new Error("watch: not a gateway");
        sendToParent(await watchSlowClients(gateway, command));
        return;
      }
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
