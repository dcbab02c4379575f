/**
 * `swarmlab:network`: the existing network is looked up, with its one IPv4 subnet, BEFORE any
 * resource is declared, so a subnet that cannot carry the cluster fails the preview like any
 * other config problem (principle 4) instead of inside an apply once resources exist.
 */
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, LabConfig, toInputPropertiesError } from "../config/config";
import { existingNetworkConfig } from "../config/subnet-plan";

/** What OpenStack says about the existing network; LabNetwork plugs the nodes into it. */
export interface ExistingNetwork {
  name: string;
  networkId: string;
  subnetId: string;
  subnetCidr: string;
  mtu: number;
}

/** Neutron reports an MTU; 1450, the VXLAN default, should an old API omit it. */
const FALLBACK_MTU = 1450;

/**
 * Looks the network and its IPv4 subnet up (getSubnet fails unless there is exactly one) and
 * returns the config planned for that subnet. Throws the config problems it finds.
 */
export async function withExistingNetwork(
  config: LabConfig,
  name: string,
): Promise<{ config: LabConfig; network: ExistingNetwork }> {
  const network = await openstack.networking.getNetwork({ name });
  const subnet = await openstack.networking.getSubnet({ networkId: network.id, ipVersion: 4 });
  const result = existingNetworkConfig(config, subnet.cidr);
  if (!result.ok) throw toInputPropertiesError(result.problems);
  for (const warning of result.warnings) pulumi.log.warn(`${CONFIG_NAMESPACE}:${warning}`);
  if (!(await hasRouterPort(network.id))) await pulumi.log.warn(noRouterWarning(name));
  return {
    config: result.config,
    network: {
      name,
      networkId: network.id,
      subnetId: subnet.id,
      subnetCidr: subnet.cidr,
      mtu: network.mtu ?? FALLBACK_MTU,
    },
  };
}

/** The device owners of a router's port on a network: a plain, a distributed (DVR) or an HA router. */
export const ROUTER_PORT_OWNERS = [
  "network:router_interface",
  "network:router_interface_distributed",
  "network:ha_router_replicated_interface",
] as const;

/**
 * Whether the caller sees a router's port on the network. Neutron lists only the ports a project
 * member may see: a router of another project (e.g. the cloud's own on a shared network) is
 * invisible, so its absence is a warning, not a refusal.
 */
async function hasRouterPort(networkId: string): Promise<boolean> {
  const found = await Promise.all(
    ROUTER_PORT_OWNERS.map((deviceOwner) =>
      openstack.networking.getPortIds({ networkId, deviceOwner }),
    ),
  );
  return found.some((ports) => ports.ids.length > 0);
}

/** What a network without a (visible) router costs the cluster, and the fix. */
export function noRouterWarning(name: string): string {
  return (
    `${CONFIG_NAMESPACE}:network "${name}" has no router port that this project can see. ` +
    "Without a router the managers' floating IPs cannot be associated, and the nodes reach " +
    "Nova's metadata service (their role and join token) only when the cloud serves isolated " +
    "metadata on the network; otherwise no node joins the swarm. Add the network's subnet to a " +
    "router whose gateway is on externalNetwork (`openstack router add subnet ROUTER SUBNET`), " +
    `or set ${CONFIG_NAMESPACE}:configDrive true to hand the nodes their metadata on a config drive; ` +
    "if the router belongs to another project (a shared network), this warning can be ignored"
  );
}
