import type { SourceMessage } from "../envelope/index.js";
import type { PipelineClock } from "./clock.js";

/** Default of `maxMessages` of a {@link StandbyBuffer}. */
export const DEFAULT_STANDBY_BUFFER_MESSAGES = 1_000;
/** Default of `maxAgeMs` of a {@link StandbyBuffer}. */
export const DEFAULT_STANDBY_BUFFER_AGE_MS = 5_000;

/** The bounds of a {@link StandbyBuffer}. */
export interface StandbyBufferLimits {
  /** Messages kept at most; an integer >= 1. */
  readonly maxMessages: number;
  /** Age in ms past which a message is not replayed; an integer >= 0. */
  readonly maxAgeMs: number;
}

/**
 * Returns `limits` when they are in range.
 *
 * @throws RangeError naming the limit that is not.
 * @internal Used by the group pipeline only.
 */
export function checkBufferLimits(
  limits: StandbyBufferLimits,
): StandbyBufferLimits {
  const { maxMessages, maxAgeMs } = limits;
  if (!Number.isSafeInteger(maxMessages) || maxMessages < 1) {
    throw new RangeError(
      `standby buffer maxMessages must be an integer >= 1, got ${maxMessages}`,
    );
  }
  if (!Number.isSafeInteger(maxAgeMs) || maxAgeMs < 0) {
    throw new RangeError(
      `standby buffer maxAgeMs must be an integer >= 0, got ${maxAgeMs}`,
    );
  }
  return limits;
}

interface Entry {
  readonly message: SourceMessage;
  readonly at: number;
}

/**
 * The most recent messages of one standby member, replayed through dedupe
 * when it becomes active, so whatever the old active missed before it was
 * declared dead still reaches subscribers.
 *
 * Bounded twice: at most `maxMessages` (the oldest is overwritten) and none
 * older than `maxAgeMs` when read. A ring, so pushing is O(1) at any rate.
 *
 * @internal Used by the group pipeline only.
 */
export class StandbyBuffer {
  private readonly ring: (Entry | undefined)[];
  /** Index of the oldest entry. */
  private start = 0;
  private count = 0;

  readonly maxMessages: number;
  readonly maxAgeMs: number;

  /** @throws RangeError when a limit is out of range. */
  constructor(
    limits: StandbyBufferLimits,
    private readonly clock: PipelineClock,
  ) {
    ({ maxMessages: this.maxMessages, maxAgeMs: this.maxAgeMs } =
      checkBufferLimits(limits));
    this.ring = new Array<Entry | undefined>(this.maxMessages);
  }

  /** How many messages are held, old ones not yet read out included. */
  get size(): number {
    return this.count;
  }

  /** Keeps `message`, overwriting the oldest when full. */
  push(message: SourceMessage): void {
    const entry = { message, at: this.clock.now() };
    if (this.count < this.maxMessages) {
      this.ring[(this.start + this.count) % this.maxMessages] = entry;
      this.count += 1;
      return;
    }
    this.ring[this.start] = entry;
    this.start = (this.start + 1) % this.maxMessages;
  }

  /** Empties the buffer, returning the messages within `maxAgeMs`, oldest
   *  first. */
  drain(): SourceMessage[] {
    const oldestKept = this.clock.now() - this.maxAgeMs;
    const out: SourceMessage[] = [];
    for (let i = 0; i < this.count; i += 1) {
      const entry = this.ring[(this.start + i) % this.maxMessages] as Entry;
      if (entry.at >= oldestKept) {
        out.push(entry.message);
      }
    }
    this.clear();
    return out;
  }

  /** Forgets everything. */
  clear(): void {
    this.ring.fill(undefined);
    this.start = 0;
    this.count = 0;
  }
}
