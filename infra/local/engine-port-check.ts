/**
 * Whether the host ports the stack publishes on 127.0.0.1 (config/local-ports.ts) are free on the
 * Docker engine: a port another container already publishes on 127.0.0.1, or on every address
 * (0.0.0.0, ::), makes Docker refuse the node's container in the middle of `pulumi up` ("port is
 * already allocated"). The stack's own containers, there since its first `up`, are no conflict.
 * Pure.
 */
import { LocalHostPort, localHostPorts, MAX_LOCAL_PORT_OFFSET } from "../config/local-ports";
import type { EngineContainer } from "./engine-facts";

/** Host addresses whose binding holds the port on 127.0.0.1 too. */
const CLASHING_ADDRESSES = new Set(["127.0.0.1", "0.0.0.0", "::", ""]);
/** Offsets are suggested in steps of this, as the docs use them: 0, 100, 200... */
const OFFSET_STEP = 100;

interface TakenPort {
  container: string;
  /** As the engine lists it: "0.0.0.0:2222". */
  binding: string;
}

/** TCP host ports that other containers publish where 127.0.0.1 would clash, by port. */
export function takenTcpPorts(
  containers: readonly EngineContainer[],
  own: { label: string; value: string },
): Map<number, TakenPort> {
  const taken = new Map<number, TakenPort>();
  for (const container of containers) {
    if (container.Labels?.[own.label] === own.value) continue;
    for (const port of container.Ports ?? []) {
      if (port.Type !== "tcp" || port.PublicPort === undefined) continue;
      const ip = port.IP ?? "";
      if (!CLASHING_ADDRESSES.has(ip) || taken.has(port.PublicPort)) continue;
      taken.set(port.PublicPort, {
        container: (container.Names[0] ?? container.Id).replace(/^\//, ""),
        binding: `${ip.includes(":") ? `[${ip}]` : ip}:${port.PublicPort}`,
      });
    }
  }
  return taken;
}

/** The smallest offset in steps of 100 whose ports are all free, if there is one. */
export function freePortOffset(
  managers: number,
  taken: ReadonlyMap<number, unknown>,
): number | undefined {
  for (let offset = 0; offset <= MAX_LOCAL_PORT_OFFSET; offset += OFFSET_STEP) {
    if (localHostPorts(managers, offset).every((port) => !taken.has(port.hostPort))) return offset;
  }
  return undefined;
}

/** One reason per port of `ports` another container holds, each naming a free offset. */
export function portConflictProblems(
  containers: readonly EngineContainer[],
  ports: readonly LocalHostPort[],
  managers: number,
  own: { label: string; value: string },
): string[] {
  const taken = takenTcpPorts(containers, own);
  const clashes = ports.flatMap((port) => {
    const holder = taken.get(port.hostPort);
    return holder === undefined ? [] : [{ port, holder }];
  });
  if (clashes.length === 0) return [];
  const offset = freePortOffset(managers, taken);
  const fix =
    offset !== undefined
      ? `use an offset whose ports are free: \`pulumi config set swarmlab:localPortOffset ${offset}\``
      : "no offset in steps of 100 has all its ports free: stop containers you no longer use";
  return clashes.map(
    ({ port, holder }) =>
      `puts ${port.what} on 127.0.0.1:${port.hostPort}, but the container "${holder.container}" ` +
      `already publishes ${holder.binding} on this engine, so Docker would refuse the node's ` +
      `container; ${fix}`,
  );
}
