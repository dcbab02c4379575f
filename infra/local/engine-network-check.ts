/**
 * Whether the lab network's subnet (swarmlab:cidr) is free on the Docker engine: Docker refuses a
 * bridge whose subnet overlaps another network's ("Pool overlaps with other one on this address
 * space"), and it would refuse it in the middle of `pulumi up`. The stack's own network, there
 * since its first `up`, is no conflict. Pure.
 */
import { cidrsOverlap, Ipv4Cidr, parseIpv4Cidr } from "../config/cidr";
import { LOCAL_SUBNET_SLOTS, localSubnetSlot } from "../config/local-slots";
import type { EngineNetwork } from "./engine-facts";

/** How the program names and labels its lab network (local-lab.ts). */
export interface OwnNetwork {
  name: string;
  /** A label every object of this stack carries, and its value. */
  label: string;
  value: string;
}

export function isOwnNetwork(network: EngineNetwork, own: OwnNetwork): boolean {
  return network.Name === own.name && network.Labels?.[own.label] === own.value;
}

/** The IPv4 subnets of a network (IPv6 ones and networks without IPAM config give none). */
function subnetsOf(network: EngineNetwork): Ipv4Cidr[] {
  return (network.IPAM?.Config ?? []).flatMap((config) => {
    const parsed = config.Subnet === undefined ? undefined : parseIpv4Cidr(config.Subnet);
    return parsed?.ok ? [parsed.cidr] : [];
  });
}

/** The first 10.42.k.0/24 (config/local-slots.ts) that overlaps none of `taken`, if any is left. */
export function freeLabSubnet(taken: readonly Ipv4Cidr[]): string | undefined {
  for (let k = 0; k < LOCAL_SUBNET_SLOTS; k++) {
    const candidate = parseIpv4Cidr(localSubnetSlot(k));
    if (candidate.ok && !taken.some((cidr) => cidrsOverlap(cidr, candidate.cidr))) {
      return candidate.cidr.text;
    }
  }
  return undefined;
}

/** One reason per other network whose subnet overlaps `cidr`, each naming a free /24. */
export function networkOverlapProblems(
  networks: readonly EngineNetwork[],
  cidr: string,
  own: OwnNetwork,
): string[] {
  const planned = parseIpv4Cidr(cidr);
  if (!planned.ok) return []; // validate.ts has refused it already
  const others = networks
    .filter((network) => !isOwnNetwork(network, own))
    .map((network) => ({ network, subnets: subnetsOf(network) }));
  const free = freeLabSubnet(others.flatMap((other) => other.subnets));
  const fix =
    free !== undefined
      ? `use a subnet no network of this engine has: \`pulumi config set swarmlab:cidr ${free}\``
      : "every 10.42.k.0/24 is taken: remove networks you no longer use (`docker network prune`)";
  return others.flatMap(({ network, subnets }) =>
    subnets
      .filter((subnet) => cidrsOverlap(subnet, planned.cidr))
      .map(
        (subnet) =>
          `is ${planned.cidr.text}, which overlaps ${subnet.text}, the subnet of the Docker ` +
          `network "${network.Name}" on this engine: Docker refuses a second bridge on an ` +
          `address range in use ("Pool overlaps with other one on this address space"); ${fix}`,
      ),
  );
}
