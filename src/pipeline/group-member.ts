import type { Observable, Subscription } from "rxjs";
import { Subject } from "rxjs";
import type { SourceMessage } from "../envelope/index.js";
import type { SourceHealth } from "../sources/index.js";
import type { StandbyBuffer } from "./standby-buffer.js";

/**
 * One source being consumed by a group.
 *
 * @internal Used by the group pipeline only.
 */
export interface Member {
  readonly id: string;
  readonly priority: number;
  readonly messages: Observable<SourceMessage>;
  /** Emits once to stop consuming this member. */
  readonly stop: Subject<void>;
  /** Its recent messages while a standby; none in active-active. */
  readonly buffer: StandbyBuffer | undefined;
  /** Its last reported health. */
  health: SourceHealth | undefined;
  healthSubscription: Subscription | undefined;
  /** Why it left, for the failover reason; set before it stops. */
  exit: string;
}

/**
 * A member that has not started.
 *
 * @internal Used by the group pipeline only.
 */
export function createMember(
  id: string,
  priority: number,
  messages: Observable<SourceMessage>,
  buffer: StandbyBuffer | undefined,
): Member {
  return {
    id,
    priority,
    messages,
    stop: new Subject<void>(),
    buffer,
    health: undefined,
    healthSubscription: undefined,
    exit: "its stream ended",
  };
}
