import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { waitFor } from "./wait-for.js";

const BIN = fileURLToPath(new URL("../../bin/tributary.js", import.meta.url));

/** A `tributary` process started the way a user starts it. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  exitCode: number | null | undefined;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout?.on("data", (chunk: Buffer) => {
      this.stdout += chunk.toString();
    });
    this.child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.child.on("exit", (code) => {
      this.exitCode = code;
    });
  }

  /** Waits for the process to exit and returns its exit code. */
  async exited(timeoutMs = 20_000): Promise<number | null> {
    await waitFor(
      "the process to exit",
      () => this.exitCode !== undefined,
      timeoutMs,
    );
    return this.exitCode ?? null;
  }

  /** Ends the process if it still runs; safe to call in teardown. */
  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.exitCode === undefined) this.child.kill(signal);
    return this.exited();
  }
}
