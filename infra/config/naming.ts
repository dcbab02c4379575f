/**
 * Names of nodes and OpenStack resources. Every name carries the owner (principle 7), so thirty
 * students sharing one OpenStack project never collide.
 */
import type { SwarmRole } from "./metadata";

export interface NodeIdentity {
  /** `<owner>-manager-0`: instance name, host name and swarm node name at once. */
  name: string;
  role: SwarmRole;
  index: number;
}

export function nodeName(owner: string, role: SwarmRole, index: number): string {
  return `${owner}-${role}-${index}`;
}

/** Every node of a cluster, managers first; manager-0 is the one that initialises the swarm. */
export function clusterNodes(owner: string, managers: number, workers: number): NodeIdentity[] {
  const make = (role: SwarmRole, count: number): NodeIdentity[] =>
    Array.from({ length: count }, (_, index) => ({
      name: nodeName(owner, role, index),
      role,
      index,
    }));
  return [...make("manager", managers), ...make("worker", workers)];
}

/** Neutron and Nova tags: find (and clean up) everything of one student or of swarmlab at all. */
export function ownerTags(owner: string): string[] {
  return ["swarmlab", `swarmlab-owner=${owner}`];
}
