import {
  type handleServerStreamingCall,
  Metadata,
  status,
} from "@grpc/grpc-js";
import type { Observable, Subscription } from "rxjs";
import type { GatewayEvent } from "../../gateway/index.js";
import type {
  WatchEventsRequest,
  WatchEventsResponse,
} from "../../gen/tributary/v1/control.js";
import type { GrpcStatus } from "./control-errors.js";
import { eventToProto } from "./view-mapping.js";

/**
 * Events one WatchEvents stream may hold unwritten (the caller reads
 * slower than the gateway changes) before the stream is ended with
 * RESOURCE_EXHAUSTED: a watcher must not make the gateway's memory grow.
 * At about 100 bytes an event that is 1 MB a watcher. It is generous
 * because grpc-js writes one response per I/O turn (no writev), so a burst
 * of events (a thousand clients reconnecting) queues briefly even for a
 * caller that reads at once.
 */
export const MAX_PENDING_EVENTS = 10_000;

/** Ends open watch streams, as the gateway does when it stops. */
export interface WatchRegistry {
  /** Ends every open stream with OK, so a shutdown need not wait. */
  endAll(): void;
}

/** Creates the WatchEvents handler and the registry of its streams. */
export function createWatchEvents(
  events: Observable<GatewayEvent>,
  maxPending = MAX_PENDING_EVENTS,
): {
  handler: handleServerStreamingCall<WatchEventsRequest, WatchEventsResponse>;
  registry: WatchRegistry;
} {
  const open = new Set<(status?: GrpcStatus) => void>();
  const handler: handleServerStreamingCall<
    WatchEventsRequest,
    WatchEventsResponse
  > = (call) => {
    let subscription: Subscription | undefined;
    let done = false;
    const end = (error?: GrpcStatus) => {
      if (done) return;
      done = true;
      open.delete(end);
      subscription?.unsubscribe();
      if (error !== undefined) call.emit("error", error);
      else if (!call.cancelled) call.end();
    };
    open.add(end);
    call.on("cancelled", () => end());

    subscription = events.subscribe({
      next: (event) => {
        // writableLength counts responses grpc-js has not yet handed to
        // HTTP/2, which stops taking them while the caller does not read.
        if (call.writableLength >= maxPending) {
          end({
            code: status.RESOURCE_EXHAUSTED,
            details: `more than ${maxPending} events unread; watch again`,
          });
          return;
        }
        call.write(eventToProto(event));
      },
      complete: () => end(),
      error: () =>
        end({ code: status.UNAVAILABLE, details: "gateway stopped" }),
    });
    if (done) subscription.unsubscribe();
    // Headers now: a caller can tell the watch has started before any
    // event happens.
    else call.sendMetadata(new Metadata());
  };
  const registry: WatchRegistry = {
    endAll: () => {
      for (const end of [...open]) end();
    },
  };
  return { handler, registry };
}
