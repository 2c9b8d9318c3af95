import {
  type ClientReadableStream,
  credentials,
  Metadata,
  type ServiceError,
} from "@grpc/grpc-js";
import type { Envelope } from "../../../src/gen/tributary/v1/envelope.js";
import {
  type StreamEvent,
  StreamServiceClient,
  SubscribeRequest,
  type SubscribeResponse,
} from "../../../src/gen/tributary/v1/stream.js";
import { waitFor } from "../../support/wait-for.js";

/** Options of {@link StreamSubscriber.open}. */
export interface SubscriberOptions {
  /** Sent as `authorization: Bearer <token>`. */
  readonly token?: string;
}

/**
 * A real StreamService client that keeps every event it got, in order,
 * and the size of every response. Each subscriber has a connection of its
 * own (a local subchannel pool), so one that stops reading does not hold
 * up the others through the shared HTTP/2 connection window.
 */
export class StreamSubscriber {
  readonly events: StreamEvent[] = [];
  /** Events per response, in order of arrival. */
  readonly responseSizes: number[] = [];
  readonly call: ClientReadableStream<SubscribeResponse>;
  error: ServiceError | undefined;
  headers = false;
  readonly #client: StreamServiceClient;

  private constructor(
    address: string,
    request: Partial<SubscribeRequest>,
    options: SubscriberOptions,
  ) {
    this.#client = new StreamServiceClient(
      address,
      credentials.createInsecure(),
      { "grpc.use_local_subchannel_pool": 1 },
    );
    const metadata = new Metadata();
    if (options.token !== undefined) {
      metadata.set("authorization", `Bearer ${options.token}`);
    }
    const full = SubscribeRequest.fromPartial(request);
    this.call = this.#client.subscribe(full, metadata);
    this.call.on("metadata", () => {
      this.headers = true;
    });
    this.call.on("data", (response: SubscribeResponse) => {
      this.responseSizes.push(response.events.length);
      this.events.push(...response.events);
    });
    this.call.on("error", (err: ServiceError) => {
      this.error = err;
    });
  }

  /** Starts a Subscribe call; does not wait for it to be in place. */
  static open(
    address: string,
    request: Partial<SubscribeRequest>,
    options: SubscriberOptions = {},
  ): StreamSubscriber {
    return new StreamSubscriber(address, request, options);
  }

  /** Subscribes and waits for the response headers. */
  static async subscribe(
    address: string,
    request: Partial<SubscribeRequest>,
    options: SubscriberOptions = {},
  ): Promise<StreamSubscriber> {
    const subscriber = StreamSubscriber.open(address, request, options);
    await waitFor("the subscription", () => {
      if (subscriber.error !== undefined) throw subscriber.error;
      return subscriber.headers;
    });
    return subscriber;
  }

  /** Waits for the call to fail and returns its error. */
  async failure(): Promise<ServiceError> {
    await waitFor("the call to fail", () => this.error !== undefined);
    return this.error as ServiceError;
  }

  /** The messages received, in order. */
  messages(topic?: string): Envelope[] {
    const found: Envelope[] = [];
    for (const { event } of this.events) {
      if (event?.$case !== "message") continue;
      if (topic === undefined || event.value.topic === topic) {
        found.push(event.value);
      }
    }
    return found;
  }

  /** The seqs of `topic` received, in order. */
  seqsOf(topic: string): number[] {
    return this.messages(topic).map((m) => m.seq);
  }

  /** The events as short strings: `m3`, `gap 4-5 reason`, `reset why`. */
  stream(): string[] {
    return this.events.map(({ event }) => {
      if (event?.$case === "message") return `m${event.value.seq}`;
      if (event?.$case === "gap") {
        const { fromSeq, toSeq, reason } = event.value;
        return `gap ${fromSeq}-${toSeq} ${reason}`;
      }
      if (event?.$case === "reset") return `reset ${event.value.reason}`;
      return "unknown";
    });
  }

  /** Cancels the call and closes the channel; safe to call twice. */
  close(): void {
    this.call.cancel();
    this.#client.close();
  }
}

/** Every seq a subscriber was sent as a message or a gap, in arrival order. */
export function coverage(subscriber: StreamSubscriber): number[] {
  const seqs: number[] = [];
  for (const { event } of subscriber.events) {
    if (event?.$case === "message") seqs.push(event.value.seq);
    if (event?.$case === "gap") {
      for (let n = event.value.fromSeq; n <= event.value.toSeq; n++) {
        seqs.push(n);
      }
    }
  }
  return seqs;
}

/** The integers from `from` to `to`, both included. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
