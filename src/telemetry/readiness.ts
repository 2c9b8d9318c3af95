import type { GatewayReadings, MemberReading } from "./readings.js";

/** One thing that keeps the gateway from being ready. */
export interface ReadinessProblem {
  /** The group at fault; a source's own id for a group of one. */
  readonly group?: string;
  /** Stable wording: `no member is up`, `no active member`, `starting`. */
  readonly reason: string;
  /** The health state of each member, when a group is at fault. */
  readonly members?: Readonly<Record<string, string>>;
}

/** Whether the gateway serves its groups, and if not, why not. */
export interface Readiness {
  readonly ready: boolean;
  /** Sorted by group; empty when ready. */
  readonly problems: readonly ReadinessProblem[];
}

/** Readiness before the gateway has started its sources. */
export const NOT_STARTED: Readiness = {
  ready: false,
  problems: [{ reason: "starting" }],
};

/**
 * The default readiness rule: every group has an active source. An
 * active-active group needs a member that is `up`; an active-standby group
 * needs an active member (one that is up). A source outside any group is a
 * group of one. Paused members are left out, and a group whose members are
 * all paused is not required: an operator took it down on purpose.
 */
export function checkReadiness(readings: GatewayReadings): Readiness {
  const problems: ReadinessProblem[] = [];
  const groups = readings.listGroups();
  const grouped = new Set(groups.map((g) => g.config.id));

  for (const group of groups) {
    const members = group.members.filter((m) => m.health.state !== "paused");
    if (members.length === 0) continue;
    const standby = group.config.mode === "active-standby";
    const ok = standby
      ? group.active !== undefined
      : members.some((m) => m.health.state === "up");
    if (ok) continue;
    problems.push({
      group: group.config.id,
      reason: standby ? "no active member" : "no member is up",
      members: statesOf(members),
    });
  }
  for (const source of readings.listSources()) {
    const id = source.config.id;
    if (grouped.has(source.group) || source.group !== id) continue;
    const state = source.health.state;
    if (state === "up" || state === "paused") continue;
    problems.push({
      group: id,
      reason: "no member is up",
      members: { [id]: state },
    });
  }
  problems.sort((a, b) => compare(a.group ?? "", b.group ?? ""));
  return { ready: problems.length === 0, problems };
}

function statesOf(members: readonly MemberReading[]): Record<string, string> {
  const states: Record<string, string> = {};
  for (const member of members) states[member.id] = member.health.state;
  return states;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
