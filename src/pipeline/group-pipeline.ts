import {
  catchError,
  EMPTY,
  filter,
  finalize,
  mergeMap,
  type Observable,
  Subject,
  type Subscription,
  takeUntil,
} from "rxjs";
import type { DedupeConfig } from "../config/index.js";
import type { SourceMessage } from "../envelope/index.js";
import { createSilentLogger, type Logger } from "../telemetry/index.js";
import { createDedupe, type Dedupe, type DedupeStats } from "./dedupe.js";

/** Options of a {@link GroupPipeline}. */
export interface GroupPipelineConfig {
  /** Id of the group; names it in logs and errors. */
  readonly id: string;
  /** How copies from the members are told apart; see {@link createDedupe}. */
  readonly dedupe: DedupeConfig;
  /** Where member failures are logged; default a silent logger. */
  readonly logger?: Logger;
}

/** A snapshot of a group's state. */
export interface GroupPipelineStats {
  /** Ids of the sources consumed now, in the order they were added. */
  readonly members: readonly string[];
  /** What the group's dedupe has judged, per source too. */
  readonly dedupe: DedupeStats;
}

/**
 * Codes of {@link PipelineError}: `DUPLICATE_SOURCE` when a source is added
 * to a group it is already a member of, `CLOSED` when a closed group is
 * asked to take a source.
 */
export type PipelineErrorCode = "DUPLICATE_SOURCE" | "CLOSED";

/** A refused request to a {@link GroupPipeline}. */
export class PipelineError extends Error {
  override readonly name = "PipelineError";

  constructor(
    /** Which request was refused, stable for callers to map. */
    readonly code: PipelineErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** One source being consumed by the group. */
interface Member {
  readonly id: string;
  readonly messages: Observable<SourceMessage>;
  /** Emits once to stop consuming this member. */
  readonly stop: Subject<void>;
}

/**
 * The merge stage of one group in `mode: active-active`: every member's
 * messages are merged as they arrive and only the first copy of each passes
 * the group's dedupe.
 *
 * Each member is consumed through its own inner pipeline (stop signal,
 * dedupe, error guard), and the inner pipelines are merged from a stream of
 * members, so members come and go while the group runs. A member whose
 * stream errors is logged and dropped; the others go on. Modes to come
 * (active-standby gating, sequence arbitration with gap waits) slot in as
 * further stages of the inner or merged pipeline.
 */
export class GroupPipeline {
  /** Id of the group. */
  readonly id: string;

  /**
   * The merged, deduplicated messages, in the order their first copies
   * arrived. Hot: it runs from construction whether or not anyone listens,
   * and a late subscriber sees only what comes after it subscribed. It
   * never errors, and completes on {@link GroupPipeline.close}.
   */
  readonly output: Observable<SourceMessage>;

  private readonly dedupe: Dedupe;
  private readonly logger: Logger;
  private readonly members = new Map<string, Member>();
  private readonly added = new Subject<Member>();
  private readonly merged = new Subject<SourceMessage>();
  private readonly connection: Subscription;
  private closed = false;

  /** @throws RangeError when the dedupe `window` is out of range. */
  constructor(config: GroupPipelineConfig) {
    this.id = config.id;
    this.dedupe = createDedupe(config.dedupe);
    const logger = config.logger ?? createSilentLogger();
    this.logger = logger.child({ component: "group", group: config.id });
    this.output = this.merged.asObservable();
    this.connection = this.added
      .pipe(mergeMap((member) => this.consume(member)))
      .subscribe(this.merged);
  }

  /**
   * Starts consuming `messages` as member `sourceId`. The group subscribes
   * at once and holds the subscription until the source completes, errors,
   * is removed or the group closes; afterwards the id may be added again.
   *
   * @throws PipelineError `DUPLICATE_SOURCE` when `sourceId` is a member
   *   now, `CLOSED` after {@link GroupPipeline.close}.
   */
  addSource(sourceId: string, messages: Observable<SourceMessage>): void {
    if (this.closed) {
      throw new PipelineError(
        "CLOSED",
        `group "${this.id}" is closed; cannot add source "${sourceId}"`,
      );
    }
    if (this.members.has(sourceId)) {
      throw new PipelineError(
        "DUPLICATE_SOURCE",
        `source "${sourceId}" is already a member of group "${this.id}"`,
      );
    }

    const member = { id: sourceId, messages, stop: new Subject<void>() };
    this.members.set(sourceId, member);
    this.added.next(member);
  }

  /**
   * Stops consuming member `sourceId` (unsubscribing from its stream); the
   * other members are not affected. Its dedupe counts are kept.
   *
   * @returns true when it was a member, false when there was nothing to do.
   */
  removeSource(sourceId: string): boolean {
    const member = this.members.get(sourceId);
    if (member === undefined) {
      return false;
    }
    member.stop.next();
    return true;
  }

  /** A snapshot of the members and the dedupe counts. */
  get stats(): GroupPipelineStats {
    return { members: [...this.members.keys()], dedupe: this.dedupe.stats };
  }

  /**
   * Stops consuming every member and completes {@link output}. Idempotent;
   * the group takes no source afterwards.
   */
  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.added.complete();
    for (const member of [...this.members.values()]) {
      member.stop.next();
    }
    // Everything has completed by now; this only makes sure of it.
    this.connection.unsubscribe();
  }

  /** The inner pipeline of one member. */
  private consume(member: Member): Observable<SourceMessage> {
    return member.messages.pipe(
      takeUntil(member.stop),
      // Inside the guard below, so a message the dedupe cannot judge (a
      // codec bug) ends only its own member.
      filter((message) => this.dedupe.accept(message)),
      catchError((err: unknown) => {
        this.logger.error(
          { err, source: member.id },
          "source stream failed; member dropped",
        );
        return EMPTY;
      }),
      finalize(() => this.forget(member)),
    );
  }

  private forget(member: Member): void {
    // A member removed and added again under the same id is a new entry.
    if (this.members.get(member.id) === member) {
      this.members.delete(member.id);
      this.logger.debug({ source: member.id }, "member left");
    }
  }
}
