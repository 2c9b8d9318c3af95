/**
 * Whole-machine CPU over the window, so that a run can say how much of
 * the two cores went to other work (other engineers' tests, say).
 */
import { cpus } from "node:os";
import { sleepUntil } from "./clock.js";

interface CpuTimes {
  busy: number;
  total: number;
}

function sample(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/**
 * Busy cores of the whole machine between `startAt` and `endAt`: 2 means
 * both cores of this machine were fully busy.
 */
export async function measureMachine(
  startAt: number,
  endAt: number,
): Promise<number> {
  await sleepUntil(startAt);
  const before = sample();
  await sleepUntil(endAt);
  const after = sample();
  const total = after.total - before.total;
  const fraction = total > 0 ? (after.busy - before.busy) / total : 0;
  return fraction * cpus().length;
}
