/**
 * CPU time of another process, read from /proc by the orchestrator. A
 * saturated server can spend seconds in one synchronous burst (libuv reads
 * up to 32 chunks of its upstream socket per wake-up, and each message is
 * written to every client), so a timer inside it would sample late or not
 * at all; /proc is read from outside, on time.
 */
import { readFileSync } from "node:fs";

/* Fields of /proc/<pid>/stat are counted in clock ticks; 100 on Linux. */
const TICKS_PER_SECOND = 100;

/** User plus system CPU of `pid` so far, ms; undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces; the fields after it do not.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
