import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import { ConfigError, type ConfigProblem, formatPath } from "./config-error.js";
import { type Config, configSchema } from "./schema.js";

/**
 * Reads a YAML or JSON config file (YAML is a superset of JSON, so one
 * parser serves both) and validates it. Throws {@link ConfigError} listing
 * every problem with its path.
 */
export async function loadConfigFile(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError(
      [{ path: "(file)", message: `cannot read: ${reason}` }],
      file,
    );
  }
  return parseConfigText(text, file);
}

/** Parses and validates config text; `file` only labels the errors. */
export function parseConfigText(text: string, file?: string): Config {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({
      path: "(syntax)",
      message: describeSyntaxError(e.message, e.linePos?.[0]),
    }));
    throw new ConfigError(problems, file);
  }
  return parseConfig(doc.toJS() ?? {}, file);
}

function describeSyntaxError(
  message: string,
  pos: { line: number; col: number } | undefined,
): string {
  const first = message.split("\n")[0] ?? message;
  return pos === undefined
    ? first
    : `line ${pos.line}, column ${pos.col}: ${first}`;
}

/** Validates an already parsed config value. */
export function parseConfig(value: unknown, file?: string): Config {
  const result = configSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => ({
      path: formatPath(issue.path),
      message: issue.message,
    }));
    throw new ConfigError(problems, file);
  }
  const problems = checkReferences(result.data);
  if (problems.length > 0) {
    throw new ConfigError(problems, file);
  }
  return result.data;
}

/** Checks what a schema cannot: unique ids and group membership. */
function checkReferences(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const sourceIndex = new Map<string, number>();
  config.sources.forEach((source, i) => {
    const earlier = sourceIndex.get(source.id);
    if (earlier !== undefined) {
      problems.push({
        path: `sources[${i}].id`,
        message: `duplicate source id "${source.id}" (also sources[${earlier}])`,
      });
    } else {
      sourceIndex.set(source.id, i);
    }
  });

  const groupIds = new Map<string, number>();
  const memberOf = new Map<string, string>();
  config.groups.forEach((group, g) => {
    const earlier = groupIds.get(group.id);
    if (earlier !== undefined) {
      problems.push({
        path: `groups[${g}].id`,
        message: `duplicate group id "${group.id}" (also groups[${earlier}])`,
      });
    }
    groupIds.set(group.id, g);
    group.sources.forEach((member, m) => {
      const id = typeof member === "string" ? member : member.id;
      const path = `groups[${g}].sources[${m}]`;
      if (!sourceIndex.has(id)) {
        problems.push({ path, message: `unknown source "${id}"` });
        return;
      }
      const other = memberOf.get(id);
      if (other !== undefined) {
        problems.push({
          path,
          message: `source "${id}" is already a member of group "${other}"`,
        });
        return;
      }
      memberOf.set(id, group.id);
    });
  });
  checkPools(config, problems);
  return problems;
}

/** Pool ids and client paths must be unique. */
function checkPools(config: Config, problems: ConfigProblem[]): void {
  const ids = new Map<string, number>();
  const paths = new Map<string, number>();
  config.pools.forEach((pool, i) => {
    const sameId = ids.get(pool.id);
    if (sameId !== undefined) {
      problems.push({
        path: `pools[${i}].id`,
        message: `duplicate pool id "${pool.id}" (also pools[${sameId}])`,
      });
    }
    const samePath = paths.get(pool.path);
    if (samePath !== undefined) {
      problems.push({
        path: `pools[${i}].path`,
        message: `path "${pool.path}" is already pools[${samePath}]'s`,
      });
    }
    ids.set(pool.id, i);
    paths.set(pool.path, i);
  });
}
