import { BehaviorSubject, Subject } from "rxjs";
import type { SourceMessage } from "../../src/envelope/index.js";
import type {
  FailoverEvent,
  GroupEvent,
  GroupPipeline,
} from "../../src/pipeline/index.js";
import {
  healthDown,
  healthStale,
  healthUp,
  type SourceHealth,
} from "../../src/sources/index.js";
import { seqMessage } from "./events.js";

/** A member stand-in: a message stream and a health stream. */
export class FakeMember {
  readonly messages = new Subject<SourceMessage>();
  readonly health: BehaviorSubject<SourceHealth>;

  constructor(
    readonly id: string,
    up = true,
  ) {
    const initial = up ? healthUp("open", 0) : healthDown("refused", 0);
    this.health = new BehaviorSubject<SourceHealth>(initial);
  }

  /** Sends messages with these upstream seqs. */
  send(...seqs: number[]): void {
    for (const seq of seqs) {
      const copy = seqMessage(this.id, seq);
      this.messages.next({ ...copy, id: String(seq) });
    }
  }

  up(): void {
    this.health.next(healthUp("open", 0));
  }

  down(): void {
    this.health.next(healthDown("connection reset", 0));
  }

  stale(): void {
    this.health.next(healthStale("no frame for 3000 ms", 0));
  }
}

/** Collects a group's output and failovers. */
export function record(group: GroupPipeline) {
  const events: GroupEvent[] = [];
  const failovers: FailoverEvent[] = [];
  group.output.subscribe((event) => events.push(event));
  group.failovers.subscribe((event) => failovers.push(event));
  return { events, failovers };
}
