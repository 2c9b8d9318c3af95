import { readFileSync } from "node:fs";
import { Command } from "commander";
import { registerCtlCommand } from "./ctl-command.js";
import { registerDemoCommand } from "./demo-command.js";
import { registerServeCommand } from "./serve-command.js";
import { registerTapCommand } from "./tap-command.js";

// A reader that goes away (`tributary tap ... | head`) is a normal end of
// output, not a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
}

const program = new Command("tributary")
  .description(
    "Real-time aggregation gateway: upstream WebSocket feeds in, " +
      "one deduplicated topic graph out to WebSocket clients.",
  )
  .version(packageVersion(), "-V, --version")
  .showHelpAfterError();

registerServeCommand(program);
registerDemoCommand(program);
registerTapCommand(program);
registerCtlCommand(program);

await program.parseAsync(process.argv);

function packageVersion(): string {
  const file = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string })
    .version;
}
