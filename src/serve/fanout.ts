import { encodeMessageJson } from "../codecs/index.js";
import type { Envelope, SourceMessage } from "../envelope/index.js";
import {
  type GapNotice,
  type ResetNotice,
  SubscriptionIndex,
  type TopicGraph,
} from "../topics/index.js";
import { encodeNoticeJson } from "./notice-json.js";
import { encodeMessageProto, encodeNoticeProto } from "./wire-proto.js";
import { frameForClients } from "./ws-frame.js";

/**
 * The wire encodings of one envelope, each produced at most once however
 * many recipients share it, and only when a recipient asks for it.
 * Recipients must not modify the buffers.
 */
export class EncodedEnvelope {
  readonly envelope: Envelope;
  #json: Buffer | undefined;
  #proto: Buffer | undefined;
  #jsonFrame: Buffer | undefined;
  #protoFrame: Buffer | undefined;

  constructor(envelope: Envelope) {
    this.envelope = envelope;
  }

  /** The `message` frame of the `tributary.v1.json` subprotocol. */
  get json(): Buffer {
    this.#json ??= encodeMessageJson(this.envelope);
    return this.#json;
  }

  /**
   * The `tributary.v1.proto` frame: a `ServerFrame` whose `message` is the
   * envelope.
   */
  get proto(): Buffer {
    this.#proto ??= encodeMessageProto(this.envelope);
    return this.#proto;
  }

  /** {@link json} as a whole WebSocket text frame, for every client. */
  get jsonFrame(): Buffer {
    this.#jsonFrame ??= frameForClients(this.json, false);
    return this.#jsonFrame;
  }

  /** {@link proto} as a whole WebSocket binary frame, for every client. */
  get protoFrame(): Buffer {
    this.#protoFrame ??= frameForClients(this.proto, true);
    return this.#protoFrame;
  }
}

/**
 * The wire encodings of one gap or reset notice, shared like an
 * {@link EncodedEnvelope}.
 */
export class EncodedNotice {
  readonly notice: GapNotice | ResetNotice;
  #json: Buffer | undefined;
  #proto: Buffer | undefined;
  #jsonFrame: Buffer | undefined;
  #protoFrame: Buffer | undefined;

  constructor(notice: GapNotice | ResetNotice) {
    this.notice = notice;
  }

  /** The `gap` or `reset` frame of the `tributary.v1.json` subprotocol. */
  get json(): Buffer {
    this.#json ??= encodeNoticeJson(this.notice);
    return this.#json;
  }

  /** The `tributary.v1.proto` frame: a `ServerFrame` with `gap` or `reset`. */
  get proto(): Buffer {
    this.#proto ??= encodeNoticeProto(this.notice);
    return this.#proto;
  }

  /** {@link json} as a whole WebSocket text frame, for every client. */
  get jsonFrame(): Buffer {
    this.#jsonFrame ??= frameForClients(this.json, false);
    return this.#jsonFrame;
  }

  /** {@link proto} as a whole WebSocket binary frame, for every client. */
  get protoFrame(): Buffer {
    this.#protoFrame ??= frameForClients(this.proto, true);
    return this.#protoFrame;
  }
}

/** Told of each message written to a client, with its ingest time. */
export type DeliveryObserver = (
  transport: "websocket" | "grpc",
  ingestTime: number,
) => void;

/** Anything that receives envelopes: a WebSocket or gRPC session. */
export interface Recipient {
  /** Unique among the gateway's sessions. */
  readonly id: string;
  /** Takes a message of a topic one of its patterns matches. */
  deliver(message: EncodedEnvelope): void;
  /**
   * Takes a gap or reset notice of such a topic, in its place in the
   * stream: a gap stands where the missing seqs would have been, a reset
   * comes before the first message of the new epoch.
   */
  deliverNotice(notice: EncodedNotice): void;
  /**
   * Takes the news that a topic it holds will not flow, or has stopped:
   * its upstream refused the subscription.
   */
  deliverProblem(problem: SubscriptionProblem): void;
}

/** Why a topic a subscriber holds, or asked for, does not flow. */
export interface SubscriptionProblem {
  readonly topic: string;
  /**
   * `UPSTREAM_LIMIT`: every source that serves the topic on demand is at
   * its subscription limit. `UPSTREAM_REJECTED`: the upstream refused it.
   */
  readonly code: "UPSTREAM_LIMIT" | "UPSTREAM_REJECTED";
  readonly message: string;
}

/** What {@link Fanout.subscribe} made of one pattern. */
export interface SubscribeOutcome {
  /** False when the pattern was not added: the subscriber must not hold it. */
  readonly held: boolean;
  /** Told to the subscriber after its `subscribed` reply. */
  readonly problem?: SubscriptionProblem;
}

/**
 * Who turns subscriptions into upstream demand: told of every exact
 * pattern a subscriber takes or drops, it subscribes and unsubscribes the
 * sources that serve topics on demand.
 */
export interface SubscriptionDemand {
  /** A subscriber takes `pattern`; `held: false` refuses it. */
  acquire(pattern: string, recipient: Recipient): SubscribeOutcome;
  /** A subscriber dropped `pattern`. */
  release(pattern: string, recipient: Recipient): void;
  /**
   * For a request's wildcards that overlap topics served on demand, the
   * topics now flowing that they match, sorted; undefined when none of
   * the wildcards overlaps such topics.
   */
  liveTopics(patterns: readonly string[]): string[] | undefined;
}

const HELD: SubscribeOutcome = { held: true };

/**
 * Routes every published message and notice to the recipients whose
 * patterns match its topic, through the subscription index rather than a
 * scan of all sessions.
 */
export class Fanout {
  readonly graph: TopicGraph;
  readonly index = new SubscriptionIndex<Recipient>();
  #delivered = 0;
  #notices = 0;
  #deliveryObserver: DeliveryObserver | undefined;
  #demand: SubscriptionDemand | undefined;

  constructor(graph: TopicGraph) {
    this.graph = graph;
  }

  /** Sets who hears of every subscription change (upstream demand). */
  setDemand(demand: SubscriptionDemand): void {
    this.#demand = demand;
  }

  /**
   * Adds `pattern` for `recipient`, unless upstream demand refuses it.
   * Callers add each pattern of a session once.
   */
  subscribe(pattern: string, recipient: Recipient): SubscribeOutcome {
    const outcome = this.#demand?.acquire(pattern, recipient) ?? HELD;
    if (outcome.held) this.index.add(pattern, recipient);
    return outcome;
  }

  /** Removes `pattern` from `recipient`; one it does not hold is a no-op. */
  unsubscribe(pattern: string, recipient: Recipient): void {
    if (this.index.remove(pattern, recipient)) {
      this.#demand?.release(pattern, recipient);
    }
  }

  /** See {@link SubscriptionDemand.liveTopics}. */
  liveTopics(patterns: readonly string[]): string[] | undefined {
    return this.#demand?.liveTopics(patterns);
  }

  /**
   * Sets who is told of every message a session writes (the latency
   * metric); sessions ask {@link deliveryHook} when they are created.
   */
  observeDeliveries(observer: DeliveryObserver): void {
    this.#deliveryObserver = observer;
  }

  /** The per-write hook for a session of `transport`, if any. */
  deliveryHook(
    transport: "websocket" | "grpc",
  ): ((ingestTime: number) => void) | undefined {
    const observer = this.#deliveryObserver;
    if (observer === undefined) return undefined;
    return (ingestTime) => observer(transport, ingestTime);
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

  /**
   * Reserves `count` seqs of `topic` that will never carry a message (see
   * `TopicGraph.publishGap`) and announces them to every recipient of the
   * topic. Throws what publishGap throws, having delivered nothing.
   */
  publishGap(topic: string, count: number, reason: string): GapNotice {
    const gap = this.graph.publishGap(topic, count, reason);
    this.#announce(gap);
    return gap;
  }

  /**
   * Starts a new epoch of `topic` (see `TopicGraph.resetEpoch`) and tells
   * every recipient of the topic, before any message of the new epoch.
   */
  publishReset(topic: string, reason: string): ResetNotice {
    const reset = this.graph.resetEpoch(topic, reason);
    this.#announce(reset);
    return reset;
  }

  /** Deliveries of messages handed to recipients since start. */
  get delivered(): number {
    return this.#delivered;
  }

  /** Deliveries of gap and reset notices handed to recipients since start. */
  get noticesDelivered(): number {
    return this.#notices;
  }

  #announce(notice: GapNotice | ResetNotice): void {
    const recipients = this.index.match(notice.topic);
    if (recipients.length === 0) return;

    const encoded = new EncodedNotice(notice);
    for (const recipient of recipients) {
      recipient.deliverNotice(encoded);
    }
    this.#notices += recipients.length;
  }
}
