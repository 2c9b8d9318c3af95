/**
 * The parent side of the IPC link: forks a benchmark process and waits
 * for its messages by type, each wait with a deadline.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { IpcMessage } from "./child.js";

interface Waiter {
  readonly type: string;
  resolve(message: IpcMessage): void;
  reject(err: Error): void;
}

/** Options of {@link ChildChannel}. */
export interface ChildOptions {
  /** Arguments after the script. */
  readonly args?: readonly string[];
  /** Node flags added to this process's own (which load tsx). */
  readonly nodeFlags?: readonly string[];
  /** The child exits by itself after this long. */
  readonly maxMs: number;
}

/** A forked benchmark process (a file of this directory). */
export class ChildChannel {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly #queue: IpcMessage[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #exited: Promise<number | null>;
  #exitCode: number | null | undefined;

  constructor(name: string, file: string, options: ChildOptions) {
    this.name = name;
    const script = fileURLToPath(new URL(file, import.meta.url));
    const args = [...(options.args ?? []), `--max-ms=${options.maxMs}`];
    this.#child = fork(script, args, {
      execArgv: [...process.execArgv, ...(options.nodeFlags ?? [])],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.#child.on("message", (message) =>
      this.#deliver(message as IpcMessage),
    );
    this.#exited = new Promise((resolve) => {
      this.#child.once("exit", (code) => {
        this.#exitCode = code;
        const err = new Error(`${name} exited (code ${code})`);
        for (const waiter of this.#waiters.splice(0)) waiter.reject(err);
        resolve(code);
      });
    });
  }

  /** The child's process id. */
  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** Sends a command; ignored once the child has gone. */
  send<T extends IpcMessage>(message: T): void {
    if (this.#child.connected) this.#child.send(message);
  }

  /** The next message of `type`, or a rejection after `timeoutMs`. */
  next<T extends IpcMessage>(type: string, timeoutMs: number): Promise<T> {
    const at = this.#queue.findIndex((m) => m.type === type);
    if (at >= 0) return Promise.resolve(this.#queue.splice(at, 1)[0] as T);
    if (this.#exitCode !== undefined) {
      const code = this.#exitCode;
      return Promise.reject(new Error(`${this.name} exited (code ${code})`));
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as T);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`${this.name}: no ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /**
   * Ends the child: it exits by itself when the IPC channel closes; if it
   * has not after `graceMs`, it is killed.
   */
  async close(graceMs = 3000): Promise<void> {
    if (this.#exitCode !== undefined) return;
    if (this.#child.connected) this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Resolves with the exit code once the child has exited. */
  exited(): Promise<number | null> {
    return this.#exited;
  }

  #deliver(message: IpcMessage): void {
    const at = this.#waiters.findIndex((w) => w.type === message.type);
    if (at < 0) {
      this.#queue.push(message);
      return;
    }
    this.#waiters.splice(at, 1)[0]?.resolve(message);
  }
}
