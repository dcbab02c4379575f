/**
 * The security group rules as pure data (principle 6, least privilege): swarm traffic only between
 * members of the cluster group, access ports only from the configured CIDRs. Kept apart from the
 * component so tests and later issues (registry, Docker API, published ports) reason about plain
 * objects.
 */

export type RuleProtocol = "tcp" | "udp" | "icmp";

export interface PortRule {
  /** Short, stable name: part of the Pulumi resource name, so keep it unique per group. */
  name: string;
  protocol: RuleProtocol;
  /** Absent for ICMP. */
  ports?: { min: number; max: number };
  description: string;
}

/** A rule of a group, opened either to the cluster group's members or to one CIDR. */
export interface RuleSpec extends PortRule {
  source: { kind: "cluster-members" } | { kind: "cidr"; cidr: string };
}

const port = (n: number) => ({ min: n, max: n });

/** Docker Swarm's ports: https://docs.docker.com/engine/swarm/swarm-tutorial/#open-protocols-and-ports-between-the-hosts */
export const SWARM_PORT_RULES: readonly PortRule[] = [
  {
    name: "swarm-api",
    protocol: "tcp",
    ports: port(2377),
    description: "swarm cluster management",
  },
  { name: "gossip-tcp", protocol: "tcp", ports: port(7946), description: "swarm node gossip" },
  { name: "gossip-udp", protocol: "udp", ports: port(7946), description: "swarm node gossip" },
  {
    name: "vxlan",
    protocol: "udp",
    ports: port(4789),
    description: "overlay network data (VXLAN)",
  },
  { name: "icmp", protocol: "icmp", description: "ping and path MTU discovery between nodes" },
];

/**
 * The lab's TLS services, open to cluster members (nodes pull from the registry) and to
 * `allowedCidrs` (the student's laptop), never to anyone else: the registry (5000, TLS +
 * htpasswd, on manager-0) and the Docker API (2376, mutual TLS, on the managers). Nothing listens
 * on 2375.
 */
export const LAB_SERVICE_PORT_RULES: readonly PortRule[] = [
  { name: "registry", protocol: "tcp", ports: port(5000), description: "lab registry (TLS)" },
  {
    name: "docker-api",
    protocol: "tcp",
    ports: port(2376),
    description: "Docker API of the managers (mutual TLS)",
  },
];

/** What the access group opens to `allowedCidrs`. */
export const ACCESS_PORT_RULES: readonly PortRule[] = [
  { name: "ssh", protocol: "tcp", ports: port(22), description: "SSH for the teacher and student" },
  { name: "icmp", protocol: "icmp", description: "ping from the allowed networks" },
  ...LAB_SERVICE_PORT_RULES,
];

/**
 * SSH between the nodes themselves: the way to a worker (no floating IP) is through a manager,
 * `ssh -J <user>@<manager> <user>@<worker address>`.
 */
export const NODE_SSH_RULE: PortRule = {
  name: "ssh",
  protocol: "tcp",
  ports: port(22),
  description: "SSH between cluster members (jump through a manager to a worker)",
};

export function clusterRuleSpecs(): RuleSpec[] {
  return [...SWARM_PORT_RULES, ...LAB_SERVICE_PORT_RULES, NODE_SSH_RULE].map((rule) => ({
    ...rule,
    source: { kind: "cluster-members" },
  }));
}

/**
 * A CIDR as part of a resource name: "203.0.113.0/24" -> "203.0.113.0-24". Names carry what a
 * rule allows, never a position in allowedCidrs: every argument of a rule is ForceNew and
 * Neutron refuses a duplicate rule (409), so a rule named by index would be replaced by its
 * neighbour's twin when a CIDR is removed or the list reordered, and that create fails.
 */
export function cidrNamePart(cidr: string): string {
  return cidr.replace("/", "-");
}

/** One rule per allowed CIDR and port rule; allowedCidrs are unique (validate.ts refuses twins). */
export function accessRuleSpecs(
  allowedCidrs: readonly string[],
  rules: readonly PortRule[] = ACCESS_PORT_RULES,
): RuleSpec[] {
  return allowedCidrs.flatMap((cidr) =>
    rules.map((rule) => ({
      ...rule,
      name: `${rule.name}-${cidrNamePart(cidr)}`,
      description: `${rule.description} (${cidr})`,
      source: { kind: "cidr", cidr } as const,
    })),
  );
}

/**
 * Every rule of the access group: the lab's own ports and each port the stacks publish, once per
 * allowed CIDR. The firewall creates these, and the class tool's quota check counts them.
 */
export function accessGroupRuleSpecs(
  allowedCidrs: readonly string[],
  publishedPorts: readonly PublishedPortSpec[],
): RuleSpec[] {
  return accessRuleSpecs(allowedCidrs, [
    ...ACCESS_PORT_RULES,
    ...publishedPortRules(publishedPorts),
  ]);
}

/** A port a stack publishes, with its protocol (a bare number is TCP). */
export type PublishedPortSpec = number | { port: number; protocol: "tcp" | "udp" };

/**
 * The ports the chosen application stacks publish (infra/stacks/published-ports.ts). TCP rules
 * keep their old names (`published-80`): a renamed rule would be replaced for nothing.
 */
export function publishedPortRules(ports: readonly PublishedPortSpec[]): PortRule[] {
  const specs = ports.map((p) =>
    typeof p === "number" ? { port: p, protocol: "tcp" as const } : p,
  );
  const unique = [...new Map(specs.map((p) => [`${p.port}/${p.protocol}`, p])).values()];
  return unique
    .sort((a, b) => a.port - b.port || (a.protocol < b.protocol ? -1 : 1))
    .map(({ port: n, protocol }) => ({
      name: protocol === "tcp" ? `published-${n}` : `published-${n}-${protocol}`,
      protocol,
      ports: port(n),
      description: `port ${n}${protocol === "tcp" ? "" : `/${protocol}`} published by a stack`,
    }));
}
