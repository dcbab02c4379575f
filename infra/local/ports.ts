/**
 * What the local cloud publishes on 127.0.0.1, and so how this machine reaches the managers:
 * every manager's sshd on its own port (2222 + index), manager-0's Docker API (2376) and the lab
 * registry (5000, on manager-0), each plus swarmlab:localPortOffset (infra/config/local-ports.ts),
 * so the addresses the outputs and `npm run docker-context` print look as on OpenStack with
 * 127.0.0.1 for the floating IP and the configured ports.
 */
import { localHostPorts } from "../config/local-ports";
import type { NodeIdentity } from "../config/naming";
import type { PublishedNodePort } from "./node-container";

export function localPublishedPorts(node: NodeIdentity, offset = 0): PublishedNodePort[] {
  if (node.role !== "manager") return [];
  // manager-i's SSH is the i-th entry; the Docker API and the registry are manager-0's.
  const all = localHostPorts(node.index + 1, offset);
  const ssh = all[node.index];
  const mine = node.index === 0 ? [ssh, ...all.slice(1)] : [ssh];
  return mine.map(({ containerPort, hostPort }) => ({ containerPort, hostPort, protocol: "tcp" }));
}
