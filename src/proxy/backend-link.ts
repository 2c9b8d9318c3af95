import type { WebSocket } from "ws";
import type { BackendState } from "./backend-state.js";
import { Flow, ReadGate } from "./flow.js";

/** What a link tells its session. */
export interface LinkEvents {
  /** The backend's socket closed while this link was attached. */
  onClose(link: BackendLink, code: number, reason: Buffer): void;
}

/**
 * A session's connection to one backend: the backend's frames, pings and
 * pongs go to the client, and {@link send} forwards the client's, each
 * direction with its own backpressure. A detached link forwards nothing
 * more and reports nothing more; a session replaces it on failover.
 */
export class BackendLink {
  readonly backend: BackendState;
  readonly ws: WebSocket;
  readonly toBackend: Flow;
  readonly toClient: Flow;
  #attached = true;

  constructor(
    backend: BackendState,
    ws: WebSocket,
    client: WebSocket,
    clientGate: ReadGate,
    maxBufferedBytes: number,
    events: LinkEvents,
  ) {
    this.backend = backend;
    this.ws = ws;
    const backendGate = new ReadGate(ws);
    this.toBackend = new Flow(ws, clientGate, maxBufferedBytes, "to backend");
    this.toClient = new Flow(
      client,
      backendGate,
      maxBufferedBytes,
      "to client",
    );

    ws.on("message", (data: Buffer, binary: boolean) => {
      if (!this.#attached) return;
      backend.bytesToClients += data.length;
      this.toClient.send(data, binary);
    });
    ws.on("ping", (data: Buffer) => {
      if (this.#attached && client.readyState === client.OPEN)
        client.ping(data);
    });
    ws.on("pong", (data: Buffer) => {
      if (this.#attached && client.readyState === client.OPEN)
        client.pong(data);
    });
    ws.once("close", (code: number, reason: Buffer) => {
      if (this.detach()) events.onClose(this, code, reason);
    });
  }

  get attached(): boolean {
    return this.#attached;
  }

  /** Forwards one client message to the backend. */
  send(data: Buffer, binary: boolean): void {
    this.backend.bytesToBackend += data.length;
    this.toBackend.send(data, binary);
  }

  ping(data: Buffer): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping(data);
  }

  pong(data: Buffer): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.pong(data);
  }

  /**
   * Stops forwarding and gives back the backend's session slot; returns
   * false when already detached. The socket itself is the caller's.
   */
  detach(): boolean {
    if (!this.#attached) return false;
    this.#attached = false;
    this.backend.openSessions -= 1;
    this.toBackend.dispose();
    this.toClient.dispose();
    return true;
  }
}
