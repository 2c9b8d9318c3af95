import { randomBytes } from "node:crypto";
import { copyFile, mkdir, open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/** Name of the state file inside `--data-dir`. */
export const STATE_FILE_NAME = "state.json";

/** Version written into new state files; older ones are migrated on load. */
export const STATE_VERSION = 1;

const entry = z.union([
  z.strictObject({ removed: z.literal(true) }),
  z.strictObject({ config: z.record(z.string(), z.unknown()) }),
]);

const stateSchema = z.strictObject({
  version: z.literal(STATE_VERSION),
  /** Sources the control plane added, replaced or removed, by id. */
  sources: z.record(z.string(), entry).default({}),
  /** Groups the control plane set or removed, by id. */
  groups: z.record(z.string(), entry).default({}),
  /** Ids of sources held down by PauseSource. */
  paused: z.array(z.string()).default([]),
  /**
   * Standing upstream subscriptions the control plane set, by source id:
   * the whole list, replacing the source's `onDemand.standing`.
   */
  standing: z.record(z.string(), z.array(z.string())).default({}),
});

/**
 * What the control plane changed, as an overlay on the config file: an
 * entry replaces the config file's object of the same id (or adds one), a
 * `removed` entry deletes it. Objects the control plane never touched keep
 * following the config file.
 */
export type StateOverlay = z.infer<typeof stateSchema>;

/** An overlay with no changes. */
export function emptyOverlay(): StateOverlay {
  return {
    version: STATE_VERSION,
    sources: {},
    groups: {},
    paused: [],
    standing: {},
  };
}

/** The state file exists but cannot be used; startup must stop. */
export class StateFileError extends Error {
  readonly file: string;
  /** Where the unusable file was copied, so nothing is lost. */
  readonly savedCopy?: string;

  constructor(file: string, reason: string, savedCopy?: string) {
    const kept =
      savedCopy === undefined ? "" : `; a copy is kept at ${savedCopy}`;
    super(`state file ${file} is unusable: ${reason}${kept}`);
    this.name = "StateFileError";
    this.file = file;
    this.savedCopy = savedCopy;
  }
}

/**
 * The control plane's persistent state in one JSON file, replaced
 * atomically on every save: written to a temporary file, fsynced, renamed
 * over the old one, and the directory fsynced, so a crash leaves either
 * the old state or the new one, never half of either.
 */
export class StateFile {
  readonly file: string;
  readonly #dir: string;

  constructor(dataDir: string) {
    this.#dir = dataDir;
    this.file = join(dataDir, STATE_FILE_NAME);
  }

  /** Reads the overlay; an absent file is an empty overlay. */
  async load(): Promise<StateOverlay> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT")
        return emptyOverlay();
      throw new StateFileError(this.file, `cannot read: ${String(err)}`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw await this.#corrupt(`not JSON (${(err as Error).message})`);
    }
    const result = stateSchema.safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue?.path.join(".") || "(root)";
      throw await this.#corrupt(`${where}: ${issue?.message ?? "invalid"}`);
    }
    return result.data;
  }

  /** Replaces the state file with `overlay`, atomically and durably. */
  async save(overlay: StateOverlay): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const temp = `${this.file}.${randomBytes(4).toString("hex")}.tmp`;
    const handle = await open(temp, "w", 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(overlay, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.file);
    await syncDirectory(this.#dir);
  }

  async #corrupt(reason: string): Promise<StateFileError> {
    const copy = `${this.file}.corrupt-${Date.now()}`;
    try {
      await copyFile(this.file, copy);
      return new StateFileError(this.file, reason, copy);
    } catch {
      return new StateFileError(this.file, reason);
    }
  }
}

/** Makes a rename durable; not every platform can fsync a directory. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename still holds.
  } finally {
    await handle.close();
  }
}
