import { encodeMessageJson } from "../codecs/index.js";
import type { Envelope, SourceMessage } from "../envelope/index.js";
import { SubscriptionIndex, type TopicGraph } from "../topics/index.js";

/**
 * The wire encodings of one envelope, each produced at most once however
 * many recipients share it. Recipients must not modify the buffers.
 */
export class EncodedEnvelope {
  readonly envelope: Envelope;
  #json: Buffer | undefined;

  constructor(envelope: Envelope) {
    this.envelope = envelope;
  }

  /** The `message` frame of the `tributary.v1.json` subprotocol. */
  get json(): Buffer {
    this.#json ??= encodeMessageJson(this.envelope);
    return this.#json;
  }
}

/** Anything that receives envelopes: a WebSocket or gRPC session. */
export interface Recipient {
  /** Unique among the gateway's sessions. */
  readonly id: string;
  deliver(message: EncodedEnvelope): void;
}

/**
 * Routes every published message to the recipients whose patterns match
 * its topic, through the subscription index rather than a scan of all
 * sessions.
 */
export class Fanout {
  readonly graph: TopicGraph;
  readonly index = new SubscriptionIndex<Recipient>();
  #delivered = 0;

  constructor(graph: TopicGraph) {
    this.graph = graph;
  }

  /** Stamps the message with its seq and epoch and delivers it. */
  publish(message: SourceMessage): Envelope {
    const envelope = this.graph.publish(message);
    const recipients = this.index.match(envelope.topic);
    if (recipients.length === 0) return envelope;

    const encoded = new EncodedEnvelope(envelope);
    for (const recipient of recipients) {
      recipient.deliver(encoded);
    }
    this.#delivered += recipients.length;
    return envelope;
  }

  /** Deliveries handed to recipients since start. */
  get delivered(): number {
    return this.#delivered;
  }
}
