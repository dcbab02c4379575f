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
