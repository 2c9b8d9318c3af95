import type { Subscription } from "rxjs";
import type { GatewayEvent } from "../../src/gateway/index.js";
import { TICK_CODEC } from "./ab-feed.js";
import { TestClient } from "./client.js";
import { FaultProxy } from "./fault-proxy.js";
import {
  FAST_RECONNECT,
  type RunningGateway,
  startGateway,
} from "./gateway.js";
import { TestUpstream } from "./upstream.js";
import { waitFor } from "./wait-for.js";

/** Options of {@link FaultRig.start}. */
export interface FaultRigOptions {
  /** Source ids, one upstream and one proxy each. Default `["a", "b"]`. */
  readonly lines?: readonly string[];
  /**
   * The `groups[]` entry over those sources; leave it out to give each
   * line a group of its own.
   */
  readonly group?: Record<string, unknown>;
  /** Settings added to every source (heartbeat, staleAfterMs, ...). */
  readonly source?: Record<string, unknown>;
  /** The config's `limits`. */
  readonly limits?: Record<string, unknown>;
}

/**
 * Upstreams, each behind a {@link FaultProxy}, a gateway whose sources
 * dial them through the proxies with {@link TICK_CODEC}, and every control
 * event from startup on: the fixture of the fault tests. {@link stop}
 * closes everything, subscribers included.
 */
export class FaultRig {
  readonly upstreams: Record<string, TestUpstream> = {};
  readonly proxies: Record<string, FaultProxy> = {};
  /** Every control-plane event since the gateway started. */
  readonly events: GatewayEvent[] = [];
  readonly clients: TestClient[] = [];
  #gateway: RunningGateway | undefined;
  #watch: Subscription | undefined;

  /** Starts upstreams, proxies and gateway; waits for every line. */
  static async start(options: FaultRigOptions): Promise<FaultRig> {
    const rig = new FaultRig();
    try {
      await rig.#start(options);
    } catch (err) {
      await rig.stop();
      throw err;
    }
    return rig;
  }

  get gateway(): RunningGateway {
    if (this.#gateway === undefined) throw new Error("rig not started");
    return this.#gateway;
  }

  /** A connected client subscribed to `patterns`. */
  async subscriber(patterns: string[]): Promise<TestClient> {
    const client = await TestClient.connect(this.gateway.wsUrl);
    this.clients.push(client);
    await client.subscribe(patterns);
    return client;
  }

  /** True while the gateway holds a connection to line `id`'s upstream. */
  connected(id: string): boolean {
    return (this.upstreams[id]?.clients.size ?? 0) > 0;
  }

  /**
   * Kills line `id` as a crashed host would: resets its connection and
   * refuses new ones until {@link revive}.
   *
   * @returns when it happened, ms since the Unix epoch.
   */
  kill(id: string): number {
    const proxy = this.#proxy(id);
    proxy.refuse = true;
    proxy.reset();
    return Date.now();
  }

  /** Lets line `id` be dialed again. */
  revive(id: string): void {
    this.#proxy(id).refuse = false;
  }

  /** The failover events so far. */
  failovers(): Extract<GatewayEvent, { type: "failover" }>[] {
    return this.events.filter((e) => e.type === "failover");
  }

  /** One line per failover and health change, for diagnostics. */
  timeline(): string[] {
    const start = this.events[0]?.at ?? 0;
    const lines: string[] = [];
    for (const e of this.events) {
      const at = `+${e.at - start} ms`;
      if (e.type === "failover") {
        lines.push(`${at} failover ${e.from} -> ${e.to}: ${e.reason}`);
      } else if (e.type === "source-health") {
        lines.push(`${at} ${e.source} ${e.from} -> ${e.to.state}`);
      }
    }
    return lines;
  }

  /** The active member of group `id` as the control plane lists it. */
  active(id: string): string | undefined {
    const groups = this.gateway.gateway.control.listGroups();
    return groups.find((g) => g.config.id === id)?.active;
  }

  /** Closes subscribers, gateway, proxies and upstreams. */
  async stop(): Promise<void> {
    for (const client of this.clients.splice(0)) await client.close();
    this.#watch?.unsubscribe();
    await this.#gateway?.stop();
    for (const proxy of Object.values(this.proxies)) await proxy.stop();
    for (const upstream of Object.values(this.upstreams)) {
      await upstream.stop();
    }
  }

  async #start(options: FaultRigOptions): Promise<void> {
    const lines = options.lines ?? ["a", "b"];
    for (const id of lines) {
      const upstream = await new TestUpstream().start();
      this.upstreams[id] = upstream;
      this.proxies[id] = await new FaultProxy({ port: upstream.port }).start();
    }
    const sources = lines.map((id) => ({
      id,
      url: this.#proxy(id).url(),
      reconnect: FAST_RECONNECT,
      codec: TICK_CODEC,
      ...options.source,
    }));
    const groups = options.group === undefined ? [] : [options.group];
    this.#gateway = await startGateway({
      sources,
      groups,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    });
    this.#watch = this.gateway.gateway.control.events.subscribe((event) =>
      this.events.push(event),
    );
    await waitFor("every line to connect", () =>
      lines.every((id) => this.connected(id)),
    );
  }

  #proxy(id: string): FaultProxy {
    const proxy = this.proxies[id];
    if (proxy === undefined) throw new Error(`no line "${id}"`);
    return proxy;
  }
}
