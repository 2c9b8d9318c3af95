import { Command } from "commander";
import { registerDemoCommand } from "./demo-command.js";
import { registerServeCommand } from "./serve-command.js";
import { registerTapCommand } from "./tap-command.js";

const program = new Command("tributary")
  .description(
    "Real-time aggregation gateway: upstream WebSocket feeds in, " +
      "one deduplicated topic graph out to WebSocket clients.",
  )
  .showHelpAfterError();

registerServeCommand(program);
registerDemoCommand(program);
registerTapCommand(program);

await program.parseAsync(process.argv);
