import { WebSocket } from "ws";

/** What a backend handshake needs besides the URL. */
export interface ConnectOptions {
  /** Subprotocols to offer, as the client offered them. */
  readonly protocols: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  /** The handshake fails when not complete within this. */
  readonly timeoutMs: number;
  /** Largest message accepted from the backend. */
  readonly maxMessageBytes: number;
  /** Aborts the attempt, as when the client hung up meanwhile. */
  readonly signal: AbortSignal;
}

/**
 * Whose failure a connect was: the backend's (try another, count it
 * toward ejection), the client's (a 4xx, or no subprotocol the backend
 * accepts: every backend would say the same), or nobody's (aborted).
 */
export type ConnectFault = "backend" | "client" | "aborted";

/** A failed backend handshake. */
export class ConnectError extends Error {
  readonly fault: ConnectFault;
  /** The HTTP status the backend answered with, when it answered. */
  readonly status: number | undefined;

  constructor(message: string, fault: ConnectFault, status?: number) {
    super(message);
    this.name = "ConnectError";
    this.fault = fault;
    this.status = status;
  }
}

/* ws's messages for a 101 whose subprotocol does not fit the offer. */
const SUBPROTOCOL_ERROR = /^Server sent (no|an invalid) subprotocol/;

function classify(err: Error): ConnectError {
  const fault = SUBPROTOCOL_ERROR.test(err.message) ? "client" : "backend";
  return new ConnectError(err.message, fault);
}

/**
 * Opens a WebSocket to a backend. Resolves once the backend accepted the
 * handshake; rejects with a {@link ConnectError} on a refusal, an error
 * status, a timeout or an abort, leaving no socket behind.
 */
export function connectBackend(
  url: string,
  options: ConnectOptions,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) {
      reject(new ConnectError("aborted", "aborted"));
      return;
    }
    const ws = new WebSocket(url, [...options.protocols], {
      headers: options.headers,
      perMessageDeflate: false,
      maxPayload: options.maxMessageBytes,
      // Pings and pongs are forwarded between the peers, not answered.
      autoPong: false,
    });
    let settled = false;
    const fail = (error: ConnectError) => {
      if (settled) return;
      settled = true;
      cleanUp();
      ws.removeAllListeners("open");
      ws.removeAllListeners("unexpected-response");
      ws.on("error", () => {});
      ws.terminate();
      reject(error);
    };
    const onAbort = () => fail(new ConnectError("aborted", "aborted"));
    const timer = setTimeout(() => {
      const message = `no handshake within ${options.timeoutMs} ms`;
      fail(new ConnectError(message, "backend"));
    }, options.timeoutMs);
    const cleanUp = () => {
      clearTimeout(timer);
      options.signal.removeEventListener("abort", onAbort);
    };

    options.signal.addEventListener("abort", onAbort);
    ws.once("error", (err) => fail(classify(err)));
    ws.once("unexpected-response", (_req, res) => {
      const status = res.statusCode ?? 0;
      const fault = status >= 400 && status < 500 ? "client" : "backend";
      fail(new ConnectError(`backend answered HTTP ${status}`, fault, status));
    });
    ws.once("open", () => {
      settled = true;
      cleanUp();
      ws.removeAllListeners("unexpected-response");
      ws.removeAllListeners("error");
      // Errors are always followed by "close", which the session acts on.
      ws.on("error", () => {});
      resolve(ws);
    });
  });
}
