/**
 * The local cloud's forwarders of the chosen stacks' published ports (local-port-forwarder.ts):
 * one docker.Container each, on the lab network, from the node image, labelled with the owner
 * as every Docker object of the stack is. Only the local cloud has them; OpenStack opens the
 * same ports in the security group instead (infra/network/firewall.ts).
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { OWNER_LABEL } from "../local/local-node";
import { forwarderContainerArgs, portForwarders } from "./local-port-forwarder";
import type { PublishedPort } from "./published-ports";

export interface LocalStackPortsArgs {
  owner: string;
  ports: readonly PublishedPort[];
  offset: number;
  /** Every node's lab address, managers first. */
  nodes: readonly string[];
  image: pulumi.Input<string>;
  network: pulumi.Input<string>;
}

export class LocalStackPorts extends pulumi.ComponentResource {
  public readonly forwarders: docker.Container[];

  constructor(name: string, args: LocalStackPortsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:local:LocalStackPorts", name, {}, opts);
    const labels = { [OWNER_LABEL]: args.owner };
    this.forwarders = portForwarders(args.owner, args.ports, args.offset, args.nodes).map(
      (forwarder) =>
        new docker.Container(
          `${name}-${forwarder.published}-${forwarder.protocol}`,
          forwarderContainerArgs(forwarder, { image: args.image, network: args.network, labels }),
          // Published ports are ForceNew: the old forwarder must free its port first.
          { parent: this, deleteBeforeReplace: true },
        ),
    );
    this.registerOutputs({});
  }
}
