import type { FailbackConfig } from "../config/index.js";
import { isHealthy, type SourceHealth } from "../sources/index.js";
import { type PipelineClock, Timer } from "./clock.js";
import { PipelineError } from "./pipeline-error.js";

/** A change of the active member, as {@link ActiveSelector} decides it. */
export interface ActiveSwitch {
  readonly from?: string;
  readonly to?: string;
  readonly reason: string;
}

/** Options of an {@link ActiveSelector}. */
export interface ActiveSelectorOptions {
  /** When to return to a preferred member; see the config schema. */
  readonly failback: FailbackConfig;
  /** A member silent this long (ms) is not healthy; default no deadline. */
  readonly dataDeadlineMs?: number | undefined;
  readonly clock: PipelineClock;
  /** Called synchronously on every switch, after `active` changed. */
  readonly onSwitch: (change: ActiveSwitch) => void;
}

/** What the selector knows of one member. */
export interface SelectorMember {
  readonly id: string;
  readonly priority: number;
  /** Position among the members added; breaks priority ties. */
  readonly order: number;
  health: SourceHealth | undefined;
  /** When its health last became `up`; undefined while not up. */
  upSince: number | undefined;
  /** When it last sent a message. */
  lastDataAt: number | undefined;
  /** Whether its health ever went from `up` to anything else. */
  failed: boolean;
}

/**
 * Picks the active member of an active-standby group.
 *
 * A member is eligible while its health is `up` and, with a data deadline,
 * it sent a message (or came up) less than `dataDeadlineMs` ago. Members
 * rank by priority, higher first, then by the order they were added. The
 * active member is kept while eligible; when it is not, the best eligible
 * member takes over at once (none when no member is eligible).
 *
 * A member ranking above the active one that has never failed (its health
 * never went from `up` to anything else) is not failing back: it takes
 * over as soon as it is eligible, in either failback mode, unless a switch
 * was ever forced. So the order in which members happen to connect at
 * startup does not decide which one leads. For a member that failed and
 * returned, with `failback: auto`, it takes over once it has been `up` for
 * `holdDownMs` without a break, counted also from the last forced switch
 * so an operator's choice holds for at least that long; with `manual`,
 * only a failure or {@link ActiveSelector.force} switches.
 *
 * @internal Used by the group pipeline only.
 */
export class ActiveSelector {
  private readonly members = new Map<string, SelectorMember>();
  private current: SelectorMember | undefined;
  private added = 0;
  private forcedAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  private readonly failbackTimer: Timer;
  private readonly deadlineTimer: Timer;

  constructor(private readonly options: ActiveSelectorOptions) {
    const evaluate = () => this.evaluate();
    this.failbackTimer = new Timer(options.clock, evaluate);
    this.deadlineTimer = new Timer(options.clock, evaluate);
  }

  /** Id of the active member; undefined when none is eligible. */
  get active(): string | undefined {
    return this.current?.id;
  }

  /** Adds a member of unknown health; it cannot be active until `up`. */
  add(id: string, priority: number): void {
    this.members.set(id, {
      id,
      priority,
      order: this.added++,
      health: undefined,
      upSince: undefined,
      lastDataAt: undefined,
      failed: false,
    });
  }

  /** Removes a member; when it was active, the next one takes over. */
  remove(id: string, reason: string): void {
    const member = this.members.get(id);
    if (member === undefined) {
      return;
    }
    this.members.delete(id);
    if (member === this.current) {
      this.replace(id, `source "${id}" left the group: ${reason}`);
    } else {
      this.evaluate();
    }
  }

  /** Records a member's new health and re-decides. */
  setHealth(id: string, health: SourceHealth): void {
    const member = this.members.get(id);
    if (member === undefined) {
      return;
    }
    const wasUp = member.health !== undefined && isHealthy(member.health);
    member.health = health;
    if (!isHealthy(health)) {
      member.failed ||= wasUp;
      member.upSince = undefined;
    } else if (!wasUp) {
      member.upSince = this.options.clock.now();
    }
    this.evaluate();
  }

  /** Records that a member sent a message. */
  noteData(id: string): void {
    const member = this.members.get(id);
    if (member === undefined) {
      return;
    }
    member.lastDataAt = this.options.clock.now();
    // Data changes eligibility only under a deadline; re-decide only when
    // this member could take over because of it.
    const current = this.current;
    const couldTakeOver = current === undefined || ranksAbove(member, current);
    if (this.options.dataDeadlineMs !== undefined && couldTakeOver) {
      this.evaluate();
    }
  }

  /**
   * Makes member `id` active now.
   *
   * @throws PipelineError `UNKNOWN_SOURCE` when it is not a member,
   *   `NOT_HEALTHY` when it is not eligible.
   */
  force(id: string): void {
    const member = this.members.get(id);
    if (member === undefined) {
      throw new PipelineError("UNKNOWN_SOURCE", `no member "${id}"`);
    }
    const now = this.options.clock.now();
    if (!this.isEligible(member, now)) {
      const why = this.whyIneligible(member, now);
      throw new PipelineError("NOT_HEALTHY", `cannot switch: ${why}`);
    }
    if (member === this.current) {
      return;
    }
    this.forcedAt = now;
    this.switchTo(member, `forced to source "${id}"`);
  }

  /** Cancels the timers; no switch happens afterwards. */
  close(): void {
    this.closed = true;
    this.failbackTimer.cancel();
    this.deadlineTimer.cancel();
  }

  private evaluate(): void {
    if (this.closed) {
      return;
    }
    const now = this.options.clock.now();
    const current = this.current;
    if (current === undefined) {
      this.replace(undefined, "");
    } else if (this.isEligible(current, now)) {
      this.keep(current, now);
    } else {
      this.replace(current.id, this.whyIneligible(current, now));
    }
  }

  /** Switches from `from` (not eligible, or gone) to the best member. */
  private replace(from: string | undefined, reason: string): void {
    const next = this.best(this.options.clock.now());
    if (next === undefined && from === undefined) {
      return;
    }
    const why = from === undefined ? `source "${next?.id}" is healthy` : reason;
    this.switchTo(next, why);
  }

  private switchTo(next: SelectorMember | undefined, reason: string): void {
    if (this.closed) {
      return;
    }
    const from = this.current?.id;
    this.current = next;
    this.failbackTimer.cancel();
    this.deadlineTimer.cancel();
    this.options.onSwitch({ from, to: next?.id, reason });
    if (next !== undefined && next === this.current) {
      this.keep(next, this.options.clock.now());
    }
  }

  /** Arms the timers that may end the reign of `current`. */
  private keep(current: SelectorMember, now: number): void {
    const deadlineMs = this.options.dataDeadlineMs;
    if (deadlineMs !== undefined) {
      this.deadlineTimer.armAt(freshSince(current) + deadlineMs);
    }
    const { failback } = this.options;
    const best = this.best(now);
    if (best === undefined || !ranksAbove(best, current)) {
      this.failbackTimer.cancel();
      return;
    }
    if (!best.failed && this.forcedAt === Number.NEGATIVE_INFINITY) {
      this.switchTo(best, `source "${best.id}" is preferred and healthy`);
      return;
    }
    if (failback.mode !== "auto") {
      this.failbackTimer.cancel();
      return;
    }
    const upSince = best.upSince ?? now;
    const readyAt = Math.max(upSince, this.forcedAt) + failback.holdDownMs;
    if (now < readyAt) {
      this.failbackTimer.armAt(readyAt);
      return;
    }
    const reason =
      `failback to preferred source "${best.id}", ` +
      `healthy for ${failback.holdDownMs} ms`;
    this.switchTo(best, reason);
  }

  private best(now: number): SelectorMember | undefined {
    let best: SelectorMember | undefined;
    for (const member of this.members.values()) {
      const better = best === undefined || ranksAbove(member, best);
      if (better && this.isEligible(member, now)) {
        best = member;
      }
    }
    return best;
  }

  private isEligible(member: SelectorMember, now: number): boolean {
    if (member.health === undefined || !isHealthy(member.health)) {
      return false;
    }
    const deadlineMs = this.options.dataDeadlineMs;
    return deadlineMs === undefined || now - freshSince(member) < deadlineMs;
  }

  private whyIneligible(member: SelectorMember, now: number): string {
    const { health } = member;
    if (health === undefined) {
      return `source "${member.id}" has reported no health yet`;
    }
    if (!isHealthy(health)) {
      return `source "${member.id}" is ${health.state}: ${health.reason}`;
    }
    const silentMs = now - freshSince(member);
    return `no message from source "${member.id}" for ${silentMs} ms`;
  }
}

/** Whether `a` is preferred to `b`. */
function ranksAbove(a: SelectorMember, b: SelectorMember): boolean {
  return (
    a.priority > b.priority || (a.priority === b.priority && a.order < b.order)
  );
}

/** Since when a member counts as sending: its last message or coming up. */
function freshSince(member: SelectorMember): number {
  const lastDataAt = member.lastDataAt ?? Number.NEGATIVE_INFINITY;
  return Math.max(lastDataAt, member.upSince ?? Number.NEGATIVE_INFINITY);
}
