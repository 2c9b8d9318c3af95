import { status, type UntypedServiceImplementation } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { AuthConfig } from "../../config/index.js";
import {
  type StreamServiceServer,
  StreamServiceService,
} from "../../gen/tributary/v1/stream.js";
import type { Fanout } from "../fanout.js";
import { createAuthorizer, withAuth } from "./auth.js";
import type { GrpcServiceBinding } from "./grpc-server.js";
import { checkSubscribeRequest } from "./stream-request.js";
import {
  StreamSession,
  type StreamSessionLimits,
  type SubscribeCall,
} from "./stream-session.js";

/** The fully qualified name of StreamService. */
export const STREAM_SERVICE = "tributary.v1.StreamService";

/** Options of {@link StreamService}. */
export interface StreamServiceOptions {
  readonly fanout: Fanout;
  readonly limits: StreamSessionLimits;
  /**
   * `auth.control.tokens`: Subscribe is a read call, so any configured
   * token may make it; with none, every caller may.
   */
  readonly auth: AuthConfig;
  readonly logger: Logger;
  /** Told of every session that opens or ends, for WatchEvents. */
  readonly onSessionChange?: (change: StreamSessionChange) => void;
}

/** A stream session opening or ending. */
export interface StreamSessionChange {
  readonly session: StreamSession;
  readonly connected: boolean;
  /** On end: the status or why, as `CANCELLED kicked`. */
  readonly reason?: string;
}

/**
 * Serves `tributary.v1.StreamService` to backend subscribers, one
 * {@link StreamSession} per Subscribe call, named `grpc-1`, `grpc-2`, …
 * Register {@link binding} with the gateway's gRPC server.
 */
export class StreamService {
  /** Open sessions by id; a session leaves when its call ends. */
  readonly sessions = new Map<string, StreamSession>();
  /** The service with its token check, for `GrpcServerOptions.services`. */
  readonly binding: GrpcServiceBinding;
  readonly #options: StreamServiceOptions;
  readonly #log: Logger;
  #nextSessionNumber = 1;

  constructor(options: StreamServiceOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: "grpc-stream" });
    const implementation: StreamServiceServer = {
      subscribe: (call) => this.#subscribe(call),
    };
    const guarded = withAuth(
      StreamServiceService,
      implementation as UntypedServiceImplementation,
      new Set(),
      { authorizer: createAuthorizer(options.auth), logger: this.#log },
    );
    this.binding = {
      name: STREAM_SERVICE,
      definition: StreamServiceService,
      implementation: guarded,
    };
  }

  /**
   * Ends every open call with UNAVAILABLE, as when the gateway stops, so
   * that a shutdown need not wait for subscribers to hang up and they
   * know to resubscribe elsewhere or later.
   */
  endAll(reason = "gateway shutting down"): void {
    for (const session of [...this.sessions.values()]) {
      session.end({ code: status.UNAVAILABLE, details: reason });
    }
  }

  #subscribe(call: SubscribeCall): void {
    // A caller that hung up before the handler ran gets no session, as
    // its 'cancelled' has already been emitted.
    if (call.cancelled) return;
    const { limits } = this.#options;
    const check = checkSubscribeRequest(
      call.request,
      limits.maxSubscriptionsPerSession,
    );
    if (!check.ok) {
      this.#log.info(
        { peer: call.getPeer(), details: check.status.details },
        "subscribe refused",
      );
      call.emit("error", check.status);
      return;
    }

    const id = `grpc-${this.#nextSessionNumber++}`;
    const session = new StreamSession(id, call, check.subscription, {
      fanout: this.#options.fanout,
      limits,
      logger: this.#log,
      onEnd: (reason) => this.#forget(session, reason),
    });
    this.sessions.set(id, session);
    this.#options.onSessionChange?.({ session, connected: true });
    this.#log.info(
      {
        client: id,
        remote: session.remoteAddress,
        patterns: check.subscription.patterns.length,
        resume: check.subscription.resume.length,
      },
      "stream client connected",
    );
    session.open();
  }

  #forget(session: StreamSession, reason: string): void {
    if (!this.sessions.delete(session.id)) return;
    this.#options.onSessionChange?.({ session, connected: false, reason });
  }
}
