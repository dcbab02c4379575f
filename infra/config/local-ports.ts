/**
 * The host ports the local cloud (swarmlab:cloud docker) publishes on 127.0.0.1, from
 * `swarmlab:localPortOffset`: every manager's sshd (2222 + its index), manager-0's Docker API
 * (2376) and the lab registry (5000), each plus the offset. One offset for all of them, not a
 * base per port: the ports keep their distances (so they cannot overlap each other), their
 * familiar last digits, and two stacks on one machine differ by one number (0, 100, 200...).
 *
 * Only the host side moves: inside the lab sshd listens on 22, the Docker API on 2376 and the
 * registry on 5000 whatever the offset, so the nodes' trust (`<private address>:5000`), the
 * certificates (their SANs name hosts, never ports) and the swarm steps stay the same.
 * Pure; config/ because validation and the local layer both need it.
 */
import { DOCKER_API_PORT, REGISTRY_PORT } from "./registry-address";

/** manager-i's sshd on the host, before the offset: 2222, 2223, ... */
export const LOCAL_SSH_BASE_PORT = 2222;
/** The highest TCP port number. */
export const MAX_PORT = 65535;
/** An offset above this would push the registry past 65535. */
export const MAX_LOCAL_PORT_OFFSET = MAX_PORT - REGISTRY_PORT;

export interface LocalHostPort {
  /** What listens there: "SSH of manager-1", "the Docker API", "the lab registry". */
  what: string;
  /** The port inside the node. */
  containerPort: number;
  /** The port on 127.0.0.1. */
  hostPort: number;
}

/**
 * A port of the chosen stacks that the local cloud forwards to 127.0.0.1 (its forwarder container,
 * infra/stacks/local-port-forwarder.ts): on the host at `published` + swarmlab:localPortOffset.
 */
export interface LocalForwardedPort {
  /** How a message names it: "the stacks' port 8080/tcp (service web)". */
  what: string;
  published: number;
  protocol: "tcp" | "udp";
}

/** manager-`index`'s SSH port on 127.0.0.1. */
export function localSshPort(index: number, offset: number): number {
  return LOCAL_SSH_BASE_PORT + offset + index;
}

/** manager-0's Docker API on 127.0.0.1. */
export function localDockerApiPort(offset: number): number {
  return DOCKER_API_PORT + offset;
}

/** The lab registry (on manager-0) on 127.0.0.1. */
export function localRegistryPort(offset: number): number {
  return REGISTRY_PORT + offset;
}

/** Every host port of a stack with `managers` managers, manager-0's SSH first. */
export function localHostPorts(managers: number, offset: number): LocalHostPort[] {
  return [
    ...Array.from({ length: managers }, (_, index) => ({
      what: `SSH of manager-${index}`,
      containerPort: 22,
      hostPort: localSshPort(index, offset),
    })),
    {
      what: "the Docker API",
      containerPort: DOCKER_API_PORT,
      hostPort: localDockerApiPort(offset),
    },
    { what: "the lab registry", containerPort: REGISTRY_PORT, hostPort: localRegistryPort(offset) },
  ];
}

/**
 * What cannot work of these host ports: one past 65535, or two on one number (a future change
 * of the bases must not make two managers share a port). Each reason names the port and the fix.
 */
export function localHostPortProblems(ports: readonly LocalHostPort[]): string[] {
  const problems: string[] = [];
  const seen = new Map<number, string>();
  for (const port of ports) {
    if (port.hostPort < 1 || port.hostPort > MAX_PORT) {
      problems.push(
        `puts ${port.what} on port ${port.hostPort}, outside 1 to ${MAX_PORT}; ` +
          `use an offset from 0 to ${MAX_LOCAL_PORT_OFFSET}`,
      );
      continue;
    }
    const other = seen.get(port.hostPort);
    if (other !== undefined) {
      problems.push(
        `puts ${port.what} and ${other} both on port ${port.hostPort}; use another offset`,
      );
    }
    seen.set(port.hostPort, port.what);
  }
  return problems;
}
