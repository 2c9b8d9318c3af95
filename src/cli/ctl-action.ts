import type { Command } from "commander";
import {
  type CtlConnection,
  type CtlFlags,
  connect,
  reportFailure,
} from "./ctl-client.js";

/**
 * Wraps a subcommand: connects with the flags of `ctl` (found through the
 * command commander passes last), runs, reports a failure, closes.
 */
export function action<A extends unknown[]>(
  run: (c: CtlConnection, flags: CtlFlags, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const flags = command.optsWithGlobals<CtlFlags>();
    let connection: CtlConnection | undefined;
    try {
      connection = connect(flags);
      await run(connection, flags, ...(args.slice(0, -1) as A));
    } catch (err) {
      reportFailure(err);
    } finally {
      connection?.client.close();
    }
  };
}

export function print(
  flags: CtlFlags,
  json: unknown,
  table: () => string,
): void {
  const text = flags.json ? JSON.stringify(json, null, 2) : table();
  process.stdout.write(`${text}\n`);
}
