import type { Command } from "commander";
import {
  type GroupStatus,
  GroupStatus as GroupStatusJson,
  ListGroupsResponse,
  ListPoolsResponse,
  ListSourcesResponse,
  ListSubscriptionsResponse,
  ListTopicsResponse,
  ListUpstreamSubscriptionsResponse,
  type PoolStatus,
  PoolStatus as PoolStatusJson,
  type SourceStatus,
  SourceStatus as SourceStatusJson,
  SourceUpstreamSubscriptions as SourceUpstreamJson,
  type SourceUpstreamSubscriptions,
  WatchEventsResponse,
} from "../gen/tributary/v1/control.js";
import { action, print } from "./ctl-action.js";
import { type CtlFlags, DEFAULT_ADDR, unary } from "./ctl-client.js";
import { registerClients } from "./ctl-clients.js";
import { followEvents } from "./ctl-events.js";
import {
  readBackendFile,
  readGroupFile,
  readPoolFile,
  readSourceFile,
} from "./ctl-files.js";
import {
  eventLine,
  groupsTable,
  poolsTable,
  sourceDetails,
  sourcesTable,
  subscriptionsTable,
  topicsTable,
  upstreamTable,
} from "./ctl-tables.js";

/**
 * Registers `tributary ctl`: the gateway's ControlService from a shell,
 * printing tables (or `--json`) and exiting 1 on a gRPC error, 2 when the
 * request was invalid.
 */
export function registerCtlCommand(program: Command): void {
  const ctl = program
    .command("ctl")
    .description("inspect and change a running gateway over gRPC")
    .option("--addr <host:port>", "gateway gRPC address", DEFAULT_ADDR)
    .option("--token <token>", "bearer token (default: $TRIBUTARY_TOKEN)")
    .option("--tls-ca <file>", "use TLS, trusting this PEM CA bundle")
    .option("--json", "print responses as JSON");
  registerSources(ctl);
  registerGroups(ctl);
  ctl
    .command("topics")
    .description("list topics with seq, rates and lineage")
    .argument("[pattern]", "only topics matching it, e.g. 'trades.*'")
    .action(
      action(async (c, flags, pattern?: string) => {
        const res = await unary(c, c.client.listTopics, {
          pattern: pattern ?? "",
        });
        print(flags, ListTopicsResponse.toJSON(res), () =>
          topicsTable(res.topics),
        );
      }),
    );
  registerClients(ctl);
  ctl
    .command("subscriptions")
    .description("held patterns with their sessions and who placed each")
    .argument("[pattern]", "only held patterns matching it, e.g. 'trades.>'")
    .action(
      action(async (c, flags, pattern?: string) => {
        const res = await unary(c, c.client.listSubscriptions, {
          pattern: pattern ?? "",
        });
        print(flags, ListSubscriptionsResponse.toJSON(res), () =>
          subscriptionsTable(res.subscriptions),
        );
      }),
    );
  registerUpstream(ctl);
  registerPools(ctl);
  registerBackends(ctl);
  ctl
    .command("events")
    .description(
      "follow source, group, client and upstream events until Ctrl-C",
    )
    .action(
      action((c, flags) =>
        followEvents(c, (event) =>
          flags.json
            ? JSON.stringify(WatchEventsResponse.toJSON(event))
            : eventLine(event),
        ),
      ),
    );
}

function registerSources(ctl: Command): void {
  const sources = ctl.command("sources").description("upstream sources");
  sources
    .command("list")
    .description("every source with its health and counters")
    .action(
      action(async (c, flags) => {
        const res = await unary(c, c.client.listSources, {});
        print(flags, ListSourcesResponse.toJSON(res), () =>
          sourcesTable(res.sources),
        );
      }),
    );
  sources
    .command("get")
    .argument("<id>")
    .description("one source in detail")
    .action(
      action(async (c, flags, id: string) => {
        const { source } = await unary(c, c.client.getSource, { id });
        printSource(flags, source);
      }),
    );
  sources
    .command("add")
    .argument("<file>", "YAML or JSON of one source, as in sources[]")
    .description("add a source and connect it")
    .action(
      action(async (c, flags, file: string) => {
        const request = { source: readSourceFile(file) };
        const { source } = await unary(c, c.client.addSource, request);
        printSource(flags, source);
      }),
    );
  sources
    .command("rm")
    .argument("<id>")
    .description("disconnect and remove a source")
    .action(
      action(async (c, flags, id: string) => {
        await unary(c, c.client.removeSource, { id });
        print(flags, {}, () => `removed source ${id}`);
      }),
    );
  for (const verb of ["pause", "resume"] as const) {
    sources
      .command(verb)
      .argument("<id>")
      .description(
        verb === "pause" ? "hold a source down" : "reconnect a paused source",
      )
      .action(
        action(async (c, flags, id: string) => {
          const method =
            verb === "pause" ? c.client.pauseSource : c.client.resumeSource;
          const { source } = await unary(c, method, { id });
          printSource(flags, source);
        }),
      );
  }
}

function registerGroups(ctl: Command): void {
  const groups = ctl
    .command("groups")
    .description("groups of redundant sources");
  groups
    .command("list")
    .description("every group with its members' health")
    .action(
      action(async (c, flags) => {
        const res = await unary(c, c.client.listGroups, {});
        print(flags, ListGroupsResponse.toJSON(res), () =>
          groupsTable(res.groups),
        );
      }),
    );
  groups
    .command("set")
    .argument("<file>", "YAML or JSON of one group, as in groups[]")
    .description("create or replace a group")
    .action(
      action(async (c, flags, file: string) => {
        const request = { group: readGroupFile(file) };
        const { group } = await unary(c, c.client.setGroup, request);
        printGroup(flags, group);
      }),
    );
  groups
    .command("rm")
    .argument("<id>")
    .description("remove a group; its members become groups of one")
    .action(
      action(async (c, flags, id: string) => {
        await unary(c, c.client.removeGroup, { id });
        print(flags, {}, () => `removed group ${id}`);
      }),
    );
}

function registerUpstream(ctl: Command): void {
  const upstream = ctl
    .command("upstream")
    .description("on-demand subscriptions the gateway holds upstream");
  upstream
    .command("list")
    .argument("[source]", "only this source's")
    .description("every upstream subscription with its state and subscribers")
    .action(
      action(async (c, flags, source?: string) => {
        const res = await unary(c, c.client.listUpstreamSubscriptions, {
          source: source ?? "",
        });
        print(flags, ListUpstreamSubscriptionsResponse.toJSON(res), () =>
          upstreamTable(res.sources),
        );
      }),
    );
  upstream
    .command("add")
    .arguments("<source> <topic>")
    .description("keep a topic subscribed upstream with no subscriber")
    .action(
      action(async (c, flags, source: string, topic: string) => {
        const request = { source, topic };
        const res = await unary(c, c.client.addUpstreamSubscription, request);
        printUpstream(flags, res.source);
      }),
    );
  upstream
    .command("rm")
    .arguments("<source> <topic>")
    .description("end a standing upstream subscription")
    .action(
      action(async (c, flags, source: string, topic: string) => {
        const request = { source, topic };
        const method = c.client.removeUpstreamSubscription;
        const res = await unary(c, method, request);
        printUpstream(flags, res.source);
      }),
    );
}

function registerPools(ctl: Command): void {
  const pools = ctl.command("pools").description("WebSocket proxy pools");
  pools
    .command("list")
    .description("every pool with its backends' health and counters")
    .action(
      action(async (c, flags) => {
        const res = await unary(c, c.client.listPools, {});
        print(flags, ListPoolsResponse.toJSON(res), () =>
          poolsTable(res.pools),
        );
      }),
    );
  pools
    .command("add")
    .argument("<file>", "YAML or JSON of one pool, as in pools[]")
    .description("add a pool and serve its path (until restart)")
    .action(
      action(async (c, flags, file: string) => {
        const request = { pool: readPoolFile(file) };
        const { pool } = await unary(c, c.client.addPool, request);
        printPool(flags, pool);
      }),
    );
  pools
    .command("rm")
    .argument("<id>")
    .description("remove a pool, closing its sessions")
    .action(
      action(async (c, flags, id: string) => {
        await unary(c, c.client.removePool, { id });
        print(flags, {}, () => `removed pool ${id}`);
      }),
    );
}

function registerBackends(ctl: Command): void {
  const backends = ctl.command("backends").description("backends of a pool");
  backends
    .command("add")
    .arguments("<pool> <file>")
    .description("add a backend (YAML or JSON: id, url, weight) to a pool")
    .action(
      action(async (c, flags, pool: string, file: string) => {
        const request = { pool, backend: readBackendFile(file) };
        const res = await unary(c, c.client.addBackend, request);
        printPool(flags, res.pool);
      }),
    );
  backends
    .command("rm")
    .arguments("<pool> <id>")
    .description("remove a backend; its sessions move or close")
    .action(
      action(async (c, flags, pool: string, id: string) => {
        await unary(c, c.client.removeBackend, { pool, id });
        print(flags, {}, () => `removed backend ${id} of pool ${pool}`);
      }),
    );
  backends
    .command("drain")
    .arguments("<pool> <id>")
    .option("--move", "move its sessions to other backends now")
    .description("give a backend no new sessions")
    .action(
      action(
        async (
          c,
          flags,
          pool: string,
          id: string,
          opts: { move?: boolean },
        ) => {
          const move = opts.move === true;
          const request = { pool, id, move };
          const res = await unary(c, c.client.drainBackend, request);
          printPool(flags, res.pool);
        },
      ),
    );
}

function printSource(flags: CtlFlags, source: SourceStatus | undefined): void {
  if (source === undefined) return;
  print(flags, SourceStatusJson.toJSON(source), () => sourceDetails(source));
}

function printGroup(flags: CtlFlags, group: GroupStatus | undefined): void {
  if (group === undefined) return;
  print(flags, GroupStatusJson.toJSON(group), () => groupsTable([group]));
}

function printPool(flags: CtlFlags, pool: PoolStatus | undefined): void {
  if (pool === undefined) return;
  print(flags, PoolStatusJson.toJSON(pool), () => poolsTable([pool]));
}

function printUpstream(
  flags: CtlFlags,
  source: SourceUpstreamSubscriptions | undefined,
): void {
  if (source === undefined) return;
  print(flags, SourceUpstreamJson.toJSON(source), () =>
    upstreamTable([source]),
  );
}
