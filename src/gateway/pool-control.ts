import type { ZodType } from "zod";
import { formatPath } from "../config/index.js";
import {
  backendSchema,
  type PoolView,
  ProxyError,
  type ProxyGateway,
  poolSchema,
} from "../proxy/index.js";
import { ControlError } from "./control-api.js";

/**
 * The control plane's side of proxy mode: validates with the pool schema
 * (so problems carry the config's field paths, as sources do) and turns
 * what the proxy throws into ControlErrors. Pool changes live in memory
 * only; the state file does not hold pools yet.
 */
export class PoolControl {
  readonly #proxy: ProxyGateway | undefined;

  /** Without a proxy every call is refused with FAILED_PRECONDITION. */
  constructor(proxy: ProxyGateway | undefined) {
    this.#proxy = proxy;
  }

  addPool(raw: unknown): PoolView {
    const config = parseWith(poolSchema, raw);
    return this.#call((proxy) => proxy.addPool(config));
  }

  removePool(id: string): void {
    this.#call((proxy) => proxy.removePool(id));
  }

  addBackend(pool: string, raw: unknown): PoolView {
    const config = parseWith(backendSchema, raw);
    return this.#call((proxy) => proxy.addBackend(pool, config));
  }

  removeBackend(pool: string, id: string): void {
    this.#call((proxy) => proxy.removeBackend(pool, id));
  }

  drainBackend(pool: string, id: string, move: boolean): PoolView {
    return this.#call((proxy) => {
      proxy.drainBackend(pool, id, { move });
      return this.#view(proxy, pool);
    });
  }

  listPools(): PoolView[] {
    return this.#proxy?.listPools() ?? [];
  }

  #view(proxy: ProxyGateway, pool: string): PoolView {
    const view = proxy.listPools().find((p) => p.id === pool);
    if (view === undefined) {
      throw new ControlError("NOT_FOUND", `no pool '${pool}'`);
    }
    return view;
  }

  #call<T>(run: (proxy: ProxyGateway) => T): T {
    if (this.#proxy === undefined) {
      throw new ControlError(
        "FAILED_PRECONDITION",
        "this gateway has no proxy mode",
      );
    }
    try {
      return run(this.#proxy);
    } catch (err) {
      throw fromProxyError(err);
    }
  }
}

/**
 * A ProxyError as the ControlError of the same code. Its INVALID_ARGUMENT
 * messages read `path: message; ...` (dotted); they are split back into
 * problems so a transport can still prefix its request field.
 */
export function fromProxyError(err: unknown): unknown {
  if (!(err instanceof ProxyError)) return err;
  if (err.code !== "INVALID_ARGUMENT") {
    return new ControlError(err.code, err.message);
  }
  return ControlError.invalid(
    err.message.split("; ").map((part) => {
      const colon = part.indexOf(": ");
      if (colon === -1) return { field: "", message: part };
      const field = part.slice(0, colon);
      const message = part.slice(colon + 2);
      return { field: field === "(root)" ? "" : field, message };
    }),
  );
}

/** Validates with a config schema; every issue becomes a problem. */
function parseWith<T>(schema: ZodType<T>, raw: unknown): T {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw ControlError.invalid(
    result.error.issues.map((issue) => ({
      field: issue.path.length === 0 ? "" : formatPath(issue.path),
      message: issue.message,
    })),
  );
}
