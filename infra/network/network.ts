/**
 * The cluster's network: a new network, subnet and router to the external network, or an
 * existing network named in `swarmlab:network` (looked up before any resource, see
 * existing-network.ts). Exposes what nodes need to plug in.
 *
 * Nothing is created for an existing network, no router either: the managers' floating IPs
 * work only if the user's own router connects its subnet to the external network.
 */
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import type { ExistingNetwork } from "./existing-network";
import { ownerTags } from "../config/naming";

export interface LabNetworkArgs {
  owner: string;
  externalNetwork: string;
  /** An existing network, already looked up; when set nothing is created here. */
  existingNetwork?: ExistingNetwork;
  cidr: string;
  dnsNameservers: readonly string[];
}

export class LabNetwork extends pulumi.ComponentResource {
  public readonly networkId: pulumi.Output<string>;
  /** The subnet ports take their address from. */
  public readonly subnetId: pulumi.Output<string>;
  /** The tenant network's MTU (1450 on most VXLAN networks). */
  public readonly mtu: pulumi.Output<number>;
  /** Resources a floating IP association must wait for (the router interface). */
  public readonly routerReady: pulumi.Resource[];

  constructor(name: string, args: LabNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:network:LabNetwork", name, {}, opts);

    if (args.existingNetwork !== undefined) {
      this.networkId = pulumi.output(args.existingNetwork.networkId);
      this.mtu = pulumi.output(args.existingNetwork.mtu);
      this.subnetId = pulumi.output(args.existingNetwork.subnetId);
      this.routerReady = [];
    } else {
      const tags = ownerTags(args.owner);
      const network = new openstack.networking.Network(
        `${name}-net`,
        { name: `${args.owner}-swarmlab`, adminStateUp: true, tags },
        { parent: this },
      );
      const subnet = new openstack.networking.Subnet(
        `${name}-subnet`,
        {
          name: `${args.owner}-swarmlab`,
          networkId: network.id,
          cidr: args.cidr,
          ipVersion: 4,
          dnsNameservers: [...args.dnsNameservers],
          tags,
        },
        { parent: this },
      );
      const external = openstack.networking.getNetworkOutput(
        { name: args.externalNetwork, external: true },
        { parent: this },
      );
      const router = new openstack.networking.Router(
        `${name}-router`,
        { name: `${args.owner}-swarmlab`, externalNetworkId: external.id, tags },
        { parent: this },
      );
      const routerInterface = new openstack.networking.RouterInterface(
        `${name}-router-interface`,
        { routerId: router.id, subnetId: subnet.id },
        { parent: this },
      );
      this.networkId = network.id;
      this.subnetId = subnet.id;
      this.mtu = network.mtu;
      this.routerReady = [routerInterface];
    }
    this.registerOutputs({ networkId: this.networkId, mtu: this.mtu });
  }
}
