/**
 * Whether the host ports the stack publishes on 127.0.0.1 are free on the Docker engine: the
 * nodes' SSH, Docker API and registry ports (config/local-ports.ts) and the stacks' forwarded
 * ports (infra/stacks/local-port-forwarder.ts), each plus swarmlab:localPortOffset. A port another
 * container already publishes on 127.0.0.1, or on every address (0.0.0.0, ::), with the same
 * protocol makes Docker refuse the node's or the forwarder's container in the middle of
 * `pulumi up` ("port is already allocated"). The stack's own containers, there since its first
 * `up`, are no conflict. Pure.
 */
import { LocalForwardedPort, localHostPorts, MAX_LOCAL_PORT_OFFSET } from "../config/local-ports";
import { LOCAL_PORT_OFFSET_STEP } from "../config/local-slots";
import type { EngineContainer } from "./engine-facts";

/** Host addresses whose binding holds the port on 127.0.0.1 too. */
const CLASHING_ADDRESSES = new Set(["127.0.0.1", "0.0.0.0", "::", ""]);

type Protocol = "tcp" | "udp";

/** A host port this stack will publish, and whose container Docker would refuse. */
export interface PlannedHostPort {
  what: string;
  hostPort: number;
  protocol: Protocol;
  /** "the node's container", "its forwarder container". */
  container: string;
}

interface TakenPort {
  container: string;
  /** As the engine lists it: "0.0.0.0:2222". */
  binding: string;
}

/** The key of a host port in the taken map: "2222/tcp". */
export function hostPortKey(port: number, protocol: Protocol): string {
  return `${port}/${protocol}`;
}

/** TCP and UDP host ports other containers publish where 127.0.0.1 would clash, by key. */
export function takenHostPorts(
  containers: readonly EngineContainer[],
  own: { label: string; value: string },
): Map<string, TakenPort> {
  const taken = new Map<string, TakenPort>();
  for (const container of containers) {
    if (container.Labels?.[own.label] === own.value) continue;
    for (const port of container.Ports ?? []) {
      if (port.Type === "sctp" || port.PublicPort === undefined) continue;
      const ip = port.IP ?? "";
      const key = hostPortKey(port.PublicPort, port.Type);
      if (!CLASHING_ADDRESSES.has(ip) || taken.has(key)) continue;
      taken.set(key, {
        container: (container.Names[0] ?? container.Id).replace(/^\//, ""),
        binding: `${ip.includes(":") ? `[${ip}]` : ip}:${port.PublicPort}`,
      });
    }
  }
  return taken;
}

/** Every host port of the stack at `offset`: the nodes' (TCP), then the stacks' forwarded ones. */
export function plannedHostPorts(
  managers: number,
  forwarded: readonly LocalForwardedPort[],
  offset: number,
): PlannedHostPort[] {
  return [
    ...localHostPorts(managers, offset).map((port) => ({
      what: port.what,
      hostPort: port.hostPort,
      protocol: "tcp" as const,
      container: "the node's container",
    })),
    ...forwarded.map((port) => ({
      what: port.what,
      hostPort: port.published + offset,
      protocol: port.protocol,
      container: "its forwarder container",
    })),
  ];
}

/** The smallest offset in steps of 100 whose ports are all free (and at most 65535), if any. */
export function freePortOffset(
  managers: number,
  forwarded: readonly LocalForwardedPort[],
  taken: ReadonlyMap<string, unknown>,
): number | undefined {
  const highest = Math.max(0, ...forwarded.map((port) => port.published));
  for (let offset = 0; offset <= MAX_LOCAL_PORT_OFFSET; offset += LOCAL_PORT_OFFSET_STEP) {
    if (highest + offset > 65535) return undefined;
    const ports = plannedHostPorts(managers, forwarded, offset);
    if (ports.every((port) => !taken.has(hostPortKey(port.hostPort, port.protocol)))) {
      return offset;
    }
  }
  return undefined;
}

/** One reason per planned port another container holds, each naming a free offset. */
export function portConflictProblems(
  containers: readonly EngineContainer[],
  plan: { managers: number; forwarded: readonly LocalForwardedPort[]; offset: number },
  own: { label: string; value: string },
): string[] {
  const taken = takenHostPorts(containers, own);
  const clashes = plannedHostPorts(plan.managers, plan.forwarded, plan.offset).flatMap((port) => {
    const holder = taken.get(hostPortKey(port.hostPort, port.protocol));
    return holder === undefined ? [] : [{ port, holder }];
  });
  if (clashes.length === 0) return [];
  const offset = freePortOffset(plan.managers, plan.forwarded, taken);
  const fix =
    offset !== undefined
      ? `use an offset whose ports are free: \`pulumi config set swarmlab:localPortOffset ${offset}\``
      : "no offset in steps of 100 has all its ports free: stop containers you no longer use";
  return clashes.map(
    ({ port, holder }) =>
      `puts ${port.what} on 127.0.0.1:${port.hostPort}${port.protocol === "udp" ? "/udp" : ""}, ` +
      `but the container "${holder.container}" already publishes ${holder.binding}` +
      `${port.protocol === "udp" ? "/udp" : ""} on this engine, so Docker would refuse ` +
      `${port.container}; ${fix}`,
  );
}
