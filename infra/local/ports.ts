/**
 * What the local cloud publishes on 127.0.0.1, and so how this machine reaches the managers:
 * every manager's sshd on its own port (2222 + index), manager-0's Docker API (2376) and the lab
 * registry (5000, on manager-0) on their own numbers, so the addresses the outputs and
 * `npm run docker-context` print look as on OpenStack with 127.0.0.1 for the floating IP.
 */
import type { NodeIdentity } from "../config/naming";
import { DOCKER_API_PORT, REGISTRY_PORT } from "../config/registry-address";
import type { PublishedNodePort } from "./node-container";

export const LOCAL_SSH_BASE_PORT = 2222;

export function localPublishedPorts(node: NodeIdentity): PublishedNodePort[] {
  if (node.role !== "manager") return [];
  const ssh: PublishedNodePort = {
    containerPort: 22,
    hostPort: LOCAL_SSH_BASE_PORT + node.index,
    protocol: "tcp",
  };
  if (node.index !== 0) return [ssh];
  return [
    ssh,
    { containerPort: DOCKER_API_PORT, hostPort: DOCKER_API_PORT, protocol: "tcp" },
    { containerPort: REGISTRY_PORT, hostPort: REGISTRY_PORT, protocol: "tcp" },
  ];
}
