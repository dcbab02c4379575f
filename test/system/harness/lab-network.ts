/**
 * The tenant network of one run: the local cloud's bridge (infra/local/lab-network.ts) with a
 * fixed subnet, labelled with the run id. Its MTU is set below 1500 on purpose, like an OpenStack
 * VXLAN tenant network (1450), so the project's daemon/overlay MTU settings are exercised against
 * a real smaller MTU.
 */
import { hostAddress, labBridgeNetwork } from "../../../infra/local/lab-network";
import { dockerOk } from "./docker";
import { RunContext } from "./run-context";

export interface LabNetwork {
  name: string;
  subnet: string;
  mtu: number;
}

/** The bridge's description as `docker network create` arguments, field by field. */
export function networkCreateArgs(network: ReturnType<typeof labBridgeNetwork>): string[] {
  return [
    "--driver", network.driver,
    "--subnet", network.subnet,
    "--gateway", network.gateway,
    ...Object.entries(network.options).flatMap(([key, value]) => ["--opt", `${key}=${value}`]),
    ...Object.entries(network.labels).flatMap(([key, value]) => ["--label", `${key}=${value}`]),
    network.name,
  ]; // prettier-ignore
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
  const bridge = labBridgeNetwork(
    `swarmlab-${run.id}`,
    `192.168.${thirdOctet}.0/24`,
    mtu,
    run.labels,
  );
  await dockerOk(["network", "create", ...networkCreateArgs(bridge)]);
  return { name: bridge.name, subnet: bridge.subnet, mtu };
}

export function addressOf(network: LabNetwork, host: number): string {
  return hostAddress(network.subnet, host);
}
