import { type ServiceError, status } from "@grpc/grpc-js";
import type { WatchEventsResponse } from "../gen/tributary/v1/control.js";
import type { CtlConnection } from "./ctl-client.js";

/**
 * Follows WatchEvents, printing `format(event)` a line each, until Ctrl-C
 * (resolves) or the stream fails (rejects with its error). A gateway that
 * stops ends the stream with OK, which also resolves.
 */
export function followEvents(
  connection: CtlConnection,
  format: (event: WatchEventsResponse) => string,
): Promise<void> {
  const stream = connection.client.watchEvents({}, connection.metadata);
  return new Promise((resolve, reject) => {
    let interrupted = false;
    const onSignal = () => {
      interrupted = true;
      stream.cancel();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const done = (settle: () => void) => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      settle();
    };

    stream.on("data", (event: WatchEventsResponse) => {
      process.stdout.write(`${format(event)}\n`);
    });
    stream.on("error", (err: ServiceError) => {
      if (interrupted && err.code === status.CANCELLED) done(resolve);
      else done(() => reject(err));
    });
    stream.on("end", () => done(resolve));
  });
}
