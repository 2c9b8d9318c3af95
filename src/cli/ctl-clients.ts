import type { Command } from "commander";
import {
  type ClientStatus,
  ClientStatus as ClientStatusJson,
  ListClientsResponse,
} from "../gen/tributary/v1/control.js";
import { SlowConsumerPolicy } from "../gen/tributary/v1/delivery.js";
import { policyToProto, SLOW_CONSUMER_POLICIES } from "../serve/index.js";
import { action, print } from "./ctl-action.js";
import { type CtlFlags, CtlInputError, unary } from "./ctl-client.js";
import { clientsTable } from "./ctl-tables.js";

export function registerClients(ctl: Command): void {
  const clients = ctl.command("clients").description("connected subscribers");
  clients
    .command("list")
    .description("every WebSocket and gRPC subscriber")
    .action(
      action(async (c, flags) => {
        const res = await unary(c, c.client.listClients, {});
        print(flags, ListClientsResponse.toJSON(res), () =>
          clientsTable(res.clients),
        );
      }),
    );
  clients
    .command("kick")
    .argument("<id>", "the session id, from `clients list`")
    .option("--reason <text>", "told to the client")
    .description("disconnect one client")
    .action(
      action(async (c, flags, id: string, opts: { reason?: string }) => {
        const reason = opts.reason ?? "";
        await unary(c, c.client.disconnectClient, { id, reason });
        print(flags, {}, () => `disconnected client ${id}`);
      }),
    );
  clients
    .command("subscribe")
    .argument("<id>", "the session id, from `clients list`")
    .argument("<patterns...>", "topics or patterns, e.g. 'trades.*'")
    .option(
      "--policy <policy>",
      "slow-consumer policy of these patterns: drop-oldest, conflate or " +
        "disconnect (default: the gateway's)",
    )
    .description("subscribe a client as if it had asked")
    .action(
      action(
        async (
          c,
          flags,
          clientId: string,
          patterns: string[],
          opts: { policy?: string },
        ) => {
          const policy = policyOption(opts.policy);
          const request = { clientId, patterns, policy };
          const res = await unary(c, c.client.subscribeClient, request);
          printClient(flags, res.client);
        },
      ),
    );
  clients
    .command("unsubscribe")
    .argument("<id>", "the session id, from `clients list`")
    .argument("<patterns...>", "topics or patterns, e.g. 'trades.*'")
    .description("remove patterns from a client")
    .action(
      action(async (c, flags, clientId: string, patterns: string[]) => {
        const request = { clientId, patterns };
        const res = await unary(c, c.client.unsubscribeClient, request);
        printClient(flags, res.client);
      }),
    );
}

function printClient(flags: CtlFlags, client: ClientStatus | undefined): void {
  if (client === undefined) return;
  print(flags, ClientStatusJson.toJSON(client), () => clientsTable([client]));
}

/** `--policy` as the request carries it; a bad name is a usage error. */
function policyOption(name: string | undefined): SlowConsumerPolicy {
  if (name === undefined) {
    return SlowConsumerPolicy.SLOW_CONSUMER_POLICY_UNSPECIFIED;
  }
  const policy = SLOW_CONSUMER_POLICIES.find((known) => known === name);
  if (policy === undefined) {
    throw new CtlInputError(
      `--policy: ${JSON.stringify(name)} is not one of ` +
        SLOW_CONSUMER_POLICIES.join(", "),
    );
  }
  return policyToProto(policy);
}
