/**
 * The local cloud's tenant network and its address plan: a Docker bridge with the configured
 * subnet, its gateway at .1, and each node at a fixed host number (there is no DHCP to ask, and
 * the swarm's join address must be known before manager-0 starts). Pure: the program declares
 * it with docker.Network, the system test with `docker network create`.
 */
import type { NodeIdentity } from "../config/naming";

export interface LabBridgeNetwork {
  name: string;
  driver: "bridge";
  subnet: string;
  gateway: string;
  /** Driver options: the bridge's MTU, as a VXLAN tenant network's on OpenStack. */
  options: Record<string, string>;
  labels: Record<string, string>;
}

/** The lab network's name on the engine: one per stack, so two stacks on one engine differ. */
export function labNetworkName(owner: string): string {
  return `${owner}-swarmlab`;
}

/** The bridge option that sets its MTU (and so every node's eth0 MTU). */
export const BRIDGE_MTU_OPTION = "com.docker.network.driver.mtu";

/** The smallest subnet the address plan fits: managers from .10, workers from .100 to .149. */
export const LOCAL_SUBNET_MAX_PREFIX = 24;

function toNumber(address: string): number {
  return address.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

function toAddress(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** The subnet's network address plus `host`: `hostAddress("10.42.0.0/24", 10)` is 10.42.0.10. */
export function hostAddress(subnet: string, host: number): string {
  const [network] = subnet.split("/");
  return toAddress(toNumber(network) + host);
}

/** Managers at .10 + index (at most 7), workers at .100 + index (at most 50). */
export function nodeHostNumber(node: Pick<NodeIdentity, "role" | "index">): number {
  return (node.role === "manager" ? 10 : 100) + node.index;
}

export function nodeAddress(subnet: string, node: Pick<NodeIdentity, "role" | "index">): string {
  return hostAddress(subnet, nodeHostNumber(node));
}

export function labBridgeNetwork(
  name: string,
  subnet: string,
  mtu: number,
  labels: Readonly<Record<string, string>>,
): LabBridgeNetwork {
  return {
    name,
    driver: "bridge",
    subnet,
    gateway: hostAddress(subnet, 1),
    options: { [BRIDGE_MTU_OPTION]: String(mtu) },
    labels: { ...labels },
  };
}
