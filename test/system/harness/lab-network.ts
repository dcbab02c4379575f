/**
 * The tenant network of one run: a Docker bridge with a fixed subnet, labelled with the run id.
 * Its MTU is set below 1500 on purpose, like an OpenStack VXLAN tenant network (1450), so the
 * project's daemon/overlay MTU settings are exercised against a real smaller MTU.
 */
import { dockerOk } from "./docker";
import { labelFlags, RunContext } from "./run-context";

export interface LabNetwork {
  name: string;
  /** e.g. "192.168.213" — node addresses are `${prefix}.${host}`. */
  prefix: string;
  subnet: string;
  mtu: number;
}

/**
 * `thirdOctet` picks 192.168.<n>.0/24: each scenario uses its own so that a crashed run's
 * leftovers never collide with the next scenario. 192.168/16 stays clear of the 172.17-31 ranges
 * the nodes' own Docker engines pick for docker0 and docker_gwbridge.
 */
export async function createLabNetwork(
  run: RunContext,
  thirdOctet: number,
  mtu: number,
): Promise<LabNetwork> {
  const prefix = `192.168.${thirdOctet}`;
  const network: LabNetwork = {
    name: `swarmlab-${run.id}`,
    prefix,
    subnet: `${prefix}.0/24`,
    mtu,
  };
  await dockerOk([
    "network",
    "create",
    "--driver",
    "bridge",
    "--subnet",
    network.subnet,
    "--gateway",
    `${prefix}.1`,
    "--opt",
    `com.docker.network.driver.mtu=${mtu}`,
    ...labelFlags(run),
    network.name,
  ]);
  return network;
}

export function addressOf(network: LabNetwork, host: number): string {
  return `${network.prefix}.${host}`;
}
