/** One thing wrong with a config, located by its path in the document. */
export interface ConfigProblem {
  /** Where the problem is, like `sources[1].codec.topic`; `(root)` for all. */
  readonly path: string;
  readonly message: string;
}

/**
 * Thrown when a config cannot be used. It carries every problem found, not
 * only the first, so an operator can fix a file in one pass.
 */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  /** The file the config came from, when it came from one. */
  readonly file?: string;

  constructor(problems: readonly ConfigProblem[], file?: string) {
    super(describeProblems(problems, file));
    this.name = "ConfigError";
    this.problems = problems;
    this.file = file;
  }
}

function describeProblems(
  problems: readonly ConfigProblem[],
  file: string | undefined,
): string {
  const where = file === undefined ? "config" : `config ${file}`;
  const count =
    problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  const lines = problems.map((p) => `  ${p.path}: ${p.message}`);
  return [`${where} has ${count}:`, ...lines].join("\n");
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Formats a zod-style path: `["sources", 1, "url"]` → `sources[1].url`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") {
      out += `[${part}]`;
    } else if (typeof part === "string" && IDENTIFIER.test(part)) {
      out += out === "" ? part : `.${part}`;
    } else {
      out += `[${JSON.stringify(String(part))}]`;
    }
  }
  return out === "" ? "(root)" : out;
}
