import {
  catchError,
  EMPTY,
  finalize,
  ignoreElements,
  mergeMap,
  type Observable,
  Subject,
  type Subscription,
  takeUntil,
  tap,
} from "rxjs";
import type { SourceMessage } from "../envelope/index.js";
import { healthDown, healthUp, type SourceHealth } from "../sources/index.js";
import { createSilentLogger, type Logger } from "../telemetry/index.js";
import { ActiveSelector, type ActiveSwitch } from "./active-selector.js";
import { type Admission, createAdmission } from "./admission.js";
import { type PipelineClock, systemClock } from "./clock.js";
import type { FailoverEvent, GroupEvent } from "./group-events.js";
import { createMember, type Member } from "./group-member.js";
import type {
  GroupPipelineConfig,
  GroupPipelineStats,
  MemberOptions,
} from "./group-pipeline-options.js";
import { PipelineError } from "./pipeline-error.js";
import {
  checkBufferLimits,
  DEFAULT_STANDBY_BUFFER_AGE_MS,
  DEFAULT_STANDBY_BUFFER_MESSAGES,
  StandbyBuffer,
  type StandbyBufferLimits,
} from "./standby-buffer.js";

/**
 * The stage of one group between its sources and the topic graph.
 *
 * Each member's stream runs through a member stage, then one admission
 * stage (dedupe or sequence arbiter) shared by all members. In
 * `active-active` every message reaches admission. In `active-standby`
 * only the active member's do (see {@link ActiveSelector}); the standbys
 * stay subscribed and their recent messages are buffered. On a switch the
 * new active's buffer is replayed through admission before its live
 * stream, and admission keeps its state across switches: so with `by: id`,
 * `content` or `seq`, what the old active missed before it was declared
 * dead is delivered and what it delivered is dropped as a duplicate. With
 * `by: none` nothing tells them apart, so the buffer is not replayed: a
 * switch loses what the old active missed, but never duplicates.
 *
 * A member whose stream errors is logged and dropped; the others go on.
 */
export class GroupPipeline {
  /** Id of the group. */
  readonly id: string;

  /**
   * What passes the group, in order: messages, and with `by: seq` gap and
   * reset events. Hot: it runs from construction whether or not anyone
   * listens. It never errors, and completes on {@link GroupPipeline.close}.
   */
  readonly output: Observable<GroupEvent>;

  /** Every change of the active member (active-standby only); hot. */
  readonly failovers: Observable<FailoverEvent>;

  private readonly clock: PipelineClock;
  private readonly admission: Admission;
  private readonly selector: ActiveSelector | undefined;
  private readonly logger: Logger;
  private readonly members = new Map<string, Member>();
  private readonly added = new Subject<Member>();
  private readonly events = new Subject<GroupEvent>();
  private readonly switches = new Subject<FailoverEvent>();
  private readonly connection: Subscription;
  private readonly buffers: StandbyBufferLimits;
  private closed = false;

  /** @throws RangeError when a dedupe or buffer option is out of range. */
  constructor(private readonly config: GroupPipelineConfig) {
    this.id = config.id;
    this.clock = config.clock ?? systemClock;
    const logger = config.logger ?? createSilentLogger();
    this.logger = logger.child({ component: "group", group: config.id });
    this.buffers = checkBufferLimits({
      maxMessages:
        config.standbyBuffer?.maxMessages ?? DEFAULT_STANDBY_BUFFER_MESSAGES,
      maxAgeMs: config.standbyBuffer?.maxAgeMs ?? DEFAULT_STANDBY_BUFFER_AGE_MS,
    });
    this.admission = createAdmission(config.dedupe, this.clock, (event) =>
      this.events.next(event),
    );
    this.selector =
      config.mode === "active-standby" ? this.createSelector() : undefined;
    this.output = this.events.asObservable();
    this.failovers = this.switches.asObservable();
    this.connection = this.added
      .pipe(mergeMap((member) => this.consume(member)))
      .subscribe();
  }

  /** Id of the active member; undefined in active-active or when no
   *  member is healthy. */
  get active(): string | undefined {
    return this.selector?.active;
  }

  /**
   * Starts consuming `messages` as member `sourceId`, and its `health`
   * when given. The group subscribes at once and holds the subscriptions
   * until the source completes, errors, is removed or the group closes;
   * afterwards the id may be added again.
   *
   * @throws PipelineError `DUPLICATE_SOURCE` when `sourceId` is a member
   *   now, `CLOSED` after {@link GroupPipeline.close}.
   * @throws RangeError when `priority` is not a finite number.
   */
  addSource(
    sourceId: string,
    messages: Observable<SourceMessage>,
    options: MemberOptions = {},
  ): void {
    this.refuseWhenClosed(`cannot add source "${sourceId}"`);
    if (this.members.has(sourceId)) {
      throw new PipelineError(
        "DUPLICATE_SOURCE",
        `source "${sourceId}" is already a member of group "${this.id}"`,
      );
    }
    const priority = options.priority ?? 0;
    if (!Number.isFinite(priority)) {
      throw new RangeError(`priority must be finite, got ${priority}`);
    }

    const member = createMember(sourceId, priority, messages, this.newBuffer());
    this.members.set(sourceId, member);
    this.selector?.add(sourceId, priority);
    if (options.health === undefined) {
      const assumed = healthUp(
        "no health stream: assumed up",
        this.clock.now(),
      );
      this.noteHealth(member, assumed);
    } else {
      member.healthSubscription = options.health.subscribe({
        next: (state) => this.noteHealth(member, state),
        error: (err: unknown) => this.healthFailed(member, err),
      });
    }
    this.added.next(member);
  }

  /**
   * Stops consuming member `sourceId` (unsubscribing from its streams);
   * when it was active, the next member takes over. Its counts are kept.
   *
   * @returns true when it was a member, false when there was nothing to do.
   */
  removeSource(sourceId: string): boolean {
    const member = this.members.get(sourceId);
    if (member === undefined) {
      return false;
    }
    member.exit = "removed";
    member.stop.next();
    return true;
  }

  /**
   * Makes member `sourceId` the active one now (active-standby). With
   * `failback: auto`, a preferred member takes over again only once the
   * hold-down has passed since this call.
   *
   * @throws PipelineError `NOT_STANDBY` in active-active, `UNKNOWN_SOURCE`
   *   when it is not a member, `NOT_HEALTHY` when it cannot be active,
   *   `CLOSED` after {@link GroupPipeline.close}.
   */
  forceActive(sourceId: string): void {
    this.refuseWhenClosed(`cannot switch to source "${sourceId}"`);
    if (this.selector === undefined) {
      throw new PipelineError(
        "NOT_STANDBY",
        `group "${this.id}" is active-active; every member is active`,
      );
    }
    this.selector.force(sourceId);
  }

  /** A snapshot of the members and counts. */
  get stats(): GroupPipelineStats {
    const active = this.active;
    const members = [...this.members.values()].map((member) => ({
      id: member.id,
      priority: member.priority,
      health: member.health,
      active: this.selector === undefined || active === member.id,
      buffered: member.buffer?.size ?? 0,
    }));
    const { stats: dedupe, sequence } = this.admission;
    return { members, active, dedupe, sequence };
  }

  /**
   * Stops consuming every member, cancels timers (held messages are
   * discarded) and completes {@link output} and {@link failovers}.
   * Idempotent; the group takes no source afterwards.
   */
  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    // First, so members leaving now cause no failover.
    this.selector?.close();
    this.added.complete();
    for (const member of [...this.members.values()]) {
      member.stop.next();
    }
    this.connection.unsubscribe();
    this.admission.close();
    this.events.complete();
    this.switches.complete();
  }

  private createSelector(): ActiveSelector {
    return new ActiveSelector({
      failback: this.config.failback ?? { mode: "auto", holdDownMs: 10_000 },
      dataDeadlineMs: this.config.dataDeadlineMs,
      clock: this.clock,
      onSwitch: (change) => this.onSwitch(change),
    });
  }

  /** A standby buffer, when this group replays on a switch. */
  private newBuffer(): StandbyBuffer | undefined {
    const replays =
      this.selector !== undefined && this.config.dedupe.by !== "none";
    return replays ? new StandbyBuffer(this.buffers, this.clock) : undefined;
  }

  private healthFailed(member: Member, err: unknown): void {
    this.logger.error({ err, source: member.id }, "health stream failed");
    const down = healthDown("health stream failed", this.clock.now());
    this.noteHealth(member, down);
  }

  private noteHealth(member: Member, health: SourceHealth): void {
    member.health = health;
    this.selector?.setHealth(member.id, health);
  }

  /** The member stage of one member. */
  private consume(member: Member): Observable<never> {
    return member.messages.pipe(
      takeUntil(member.stop),
      // Inside the guard below, so a message admission cannot judge (a
      // codec bug) ends only its own member.
      tap((message) => this.receive(member, message)),
      ignoreElements(),
      catchError((err: unknown) => {
        member.exit = "its stream failed";
        this.logger.error(
          { err, source: member.id },
          "source stream failed; member dropped",
        );
        return EMPTY;
      }),
      finalize(() => this.forget(member)),
    );
  }

  private receive(member: Member, message: SourceMessage): void {
    const selector = this.selector;
    if (selector !== undefined) {
      // May make this member active, replaying its buffer first.
      selector.noteData(member.id);
      if (selector.active !== member.id) {
        member.buffer?.push(message);
        return;
      }
    }
    this.admission.admit(message);
  }

  private onSwitch({ from, to, reason }: ActiveSwitch): void {
    this.logger.warn({ from, to, reason }, "failover");
    const at = this.clock.now();
    this.switches.next({ group: this.id, from, to, reason, at });
    const next = to === undefined ? undefined : this.members.get(to);
    for (const message of next?.buffer?.drain() ?? []) {
      try {
        this.admission.admit(message);
      } catch (err) {
        // Not inside the member stage: skip the message, keep the member.
        this.logger.error({ err, source: to }, "buffered message dropped");
      }
    }
  }

  private forget(member: Member): void {
    // A member removed and added again under the same id is a new entry.
    if (this.members.get(member.id) !== member) {
      return;
    }
    this.members.delete(member.id);
    member.healthSubscription?.unsubscribe();
    member.buffer?.clear();
    this.selector?.remove(member.id, member.exit);
    this.logger.debug({ source: member.id }, "member left");
  }

  private refuseWhenClosed(what: string): void {
    if (this.closed) {
      throw new PipelineError(
        "CLOSED",
        `group "${this.id}" is closed; ${what}`,
      );
    }
  }
}
