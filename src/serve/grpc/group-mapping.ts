import type { GroupConfig } from "../../config/index.js";
import type { GroupView } from "../../gateway/index.js";
import type {
  Group,
  GroupMember,
  GroupStatus,
} from "../../gen/tributary/v1/control.js";
import {
  healthToProto,
  originToProto,
  plainJson,
  type RawConfig,
} from "./source-mapping.js";

/**
 * The `groups[]` entry a proto Group stands for. An empty mode and absent
 * policies are left out so the schema's defaults apply; a member with
 * priority 0 keeps its list order, so it is passed without one.
 */
export function groupToConfig(group: Group): RawConfig {
  const raw: RawConfig = {
    id: group.id,
    sources: group.members.map(memberToConfig),
  };
  if (group.mode !== "") raw.mode = group.mode;
  if (group.dedupe !== undefined) raw.dedupe = group.dedupe;
  if (group.failback !== undefined) raw.failback = group.failback;
  if (group.dataDeadlineMs !== 0) raw.dataDeadlineMs = group.dataDeadlineMs;
  return raw;
}

function memberToConfig(member: GroupMember): RawConfig {
  return member.priority === 0
    ? { id: member.id }
    : { id: member.id, priority: member.priority };
}

/**
 * The proto path of a config-relative group path: the config's `sources`
 * are the proto's `members`, so `sources[1].id` is `members[1].id`.
 */
export function groupFieldToProto(field: string): string {
  return field.replace(/^sources(?=$|[.[])/, "members");
}

/** A validated group's settings as the proto Group. */
export function groupToProto(config: GroupConfig): Group {
  return {
    id: config.id,
    mode: config.mode,
    members: config.sources.map((member) =>
      typeof member === "string"
        ? { id: member, priority: 0 }
        : { id: member.id, priority: member.priority ?? 0 },
    ),
    dedupe: plainJson(config.dedupe),
    failback: plainJson(config.failback),
    dataDeadlineMs: config.dataDeadlineMs ?? 0,
  };
}

/** A group with its live state as the proto GroupStatus. */
export function groupViewToProto(view: GroupView): GroupStatus {
  return {
    group: groupToProto(view.config),
    members: view.members.map((member) => ({
      member: { id: member.id, priority: member.priority },
      health: healthToProto(member.health),
      accepted: member.accepted,
      duplicates: member.duplicates,
    })),
    active: view.active ?? "",
    origin: originToProto(view.origin),
  };
}
