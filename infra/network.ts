/**
 * The cluster's network: a new network, subnet and router to the external network, or an
 * existing network named in `swarmlab:network`. Exposes what nodes need to plug in.
 */
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { ownerTags } from "./naming";

export interface LabNetworkArgs {
  owner: string;
  externalNetwork: string;
  /** An existing network's name; when set nothing is created here. */
  existingNetwork?: string;
  cidr: string;
  dnsNameservers: readonly string[];
}

export class LabNetwork extends pulumi.ComponentResource {
  public readonly networkId: pulumi.Output<string>;
  /** The subnet ports take their address from; undefined on an existing network (Neutron picks). */
  public readonly subnetId: pulumi.Output<string> | undefined;
  /** The tenant network's MTU (1450 on most VXLAN networks). */
  public readonly mtu: pulumi.Output<number>;
  /** Resources a floating IP association must wait for (the router interface). */
  public readonly routerReady: pulumi.Resource[];

  constructor(name: string, args: LabNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:network:LabNetwork", name, {}, opts);

    if (args.existingNetwork !== undefined) {
      const existing = openstack.networking.getNetworkOutput(
        { name: args.existingNetwork },
        { parent: this },
      );
      this.networkId = existing.id;
      // Neutron always reports an MTU; 1450 is the VXLAN default should an old API omit it.
      this.mtu = existing.apply((n) => n.mtu ?? 1450);
      this.subnetId = undefined;
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
