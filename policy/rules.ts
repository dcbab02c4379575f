/**
 * The class's rules, which a teacher sets in policy/config.json: largest flavor, most servers per
 * student, no swarm or Docker API port open to the internet, every server tagged with its owner.
 *
 * Each rule is a pure check (plain props in, violation messages out) wrapped in a Pulumi policy,
 * so tests run the checks without the policy engine. Every message names the resource, the bad
 * value and how to fix the stack. The pack reads resources by type token, not by importing
 * @pulumi/openstack, so it loads fast and stays apart from the program.
 */
import type {
  Policies,
  PolicyConfigSchema,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

export const SERVER = "openstack:compute/instance:Instance";
export const SECURITY_RULE = "openstack:networking/secGroupRule:SecGroupRule";

/** The engine's placeholder for a value not known until `pulumi up` (a preview of a new stack). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface FlavorConfig {
  /** The flavors students may use, smallest first. */
  flavors: string[];
  /** The largest of `flavors` a student may use. */
  largestFlavor: string;
}
export interface NodesConfig {
  /** Most servers (managers + workers) one student's stack may have. */
  maxNodes: number;
}
export interface PortsConfig {
  /** Ports that must never be open to the whole internet. */
  ports: number[];
}
export interface OwnerConfig {
  /** Tag that names the owner: `<tagPrefix><owner>` (swarmlab sets `swarmlab-owner=<owner>`). */
  tagPrefix: string;
  /** Instance metadata key that holds the owner. */
  metadataKey: string;
}

export const RULES = {
  flavor: "swarmlab-largest-flavor",
  nodes: "swarmlab-max-nodes",
  swarmPorts: "swarmlab-no-open-swarm-ports",
  dockerApi: "swarmlab-no-open-docker-api",
  owner: "swarmlab-server-owner",
} as const;

/** The defaults every rule uses when policy/config.json does not set a value. */
export const DEFAULTS = {
  flavor: {
    flavors: ["m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"],
    largestFlavor: "m1.medium",
  } satisfies FlavorConfig,
  nodes: { maxNodes: 10 } satisfies NodesConfig,
  /** Swarm: 2377/tcp management, 7946/tcp+udp gossip, 4789/udp VXLAN. */
  swarmPorts: { ports: [2377, 7946, 4789] } satisfies PortsConfig,
  /** Docker API: 2375 plain (never), 2376 TLS (only from allowedCidrs). */
  dockerApi: { ports: [2375, 2376] } satisfies PortsConfig,
  owner: { tagPrefix: "swarmlab-owner=", metadataKey: "owner" } satisfies OwnerConfig,
};

const STACK_FILE = "Pulumi.<stack>.yaml";

export function checkFlavor(props: Record<string, unknown>, config: FlavorConfig): string[] {
  const server = String(props.name ?? "a server");
  const allowed = config.flavors.slice(0, config.flavors.indexOf(config.largestFlavor) + 1);
  const flavor = props.flavorName;
  if (typeof flavor !== "string" || flavor === UNKNOWN) {
    return props.flavorId !== undefined
      ? [
          `${server} names its flavor by id (${String(props.flavorId)}); the class checks flavor ` +
            `names: set swarmlab:flavor / swarmlab:managerFlavor to one of ${allowed.join(", ")}.`,
        ]
      : [];
  }
  if (allowed.includes(flavor)) return [];
  return [
    `${server} uses flavor ${flavor}; this class allows ${allowed.join(", ")} (largest ` +
      `${config.largestFlavor}): set swarmlab:flavor (workers) and swarmlab:managerFlavor ` +
      `(managers) in ${STACK_FILE} to one of them, e.g. ` +
      `\`pulumi config set swarmlab:flavor ${config.largestFlavor}\`.`,
  ];
}

export function checkNodeCount(servers: readonly string[], config: NodesConfig): string[] {
  if (servers.length <= config.maxNodes) return [];
  return [
    `this stack has ${servers.length} servers (${servers.join(", ")}); this class allows at ` +
      `most ${config.maxNodes} per student: lower swarmlab:workers (or swarmlab:managers) in ` +
      `${STACK_FILE} so that managers + workers <= ${config.maxNodes}.`,
  ];
}

const EVERYWHERE = new Set(["0.0.0.0/0", "::/0", "0::0/0"]);

/**
 * Ports of `ports` that an ingress rule opens to the whole internet. Neutron reads a missing
 * remote (no CIDR, no group) as "from anywhere", a missing protocol as every protocol and a
 * missing port range as every port.
 */
export function publicPorts(props: Record<string, unknown>, ports: readonly number[]): number[] {
  if (props.direction !== undefined && props.direction !== "ingress") return [];
  const prefix = props.remoteIpPrefix;
  const fromAnywhere =
    (prefix === undefined || prefix === "" || EVERYWHERE.has(String(prefix))) &&
    (props.remoteGroupId === undefined || props.remoteGroupId === "");
  if (!fromAnywhere) return [];
  const protocol = String(props.protocol ?? "");
  if (protocol !== "" && protocol !== "tcp" && protocol !== "udp" && protocol !== "any") return [];
  const min =
    typeof props.portRangeMin === "number" && props.portRangeMin > 0 ? props.portRangeMin : 1;
  const max =
    typeof props.portRangeMax === "number" && props.portRangeMax > 0 ? props.portRangeMax : 65535;
  return ports.filter((p) => p >= min && p <= max);
}

export function checkPublicPorts(
  ruleName: string,
  props: Record<string, unknown>,
  config: PortsConfig,
  what: string,
): string[] {
  const open = publicPorts(props, config.ports);
  if (open.length === 0) return [];
  const from = String(props.remoteIpPrefix || "anywhere (no remote CIDR or group)");
  return [
    `security group rule ${ruleName} opens ${what} port${open.length > 1 ? "s" : ""} ` +
      `${open.join(", ")} to ${from}. ${what[0].toUpperCase()}${what.slice(1)} ports must be ` +
      `reachable only from the cluster's own security group or from swarmlab:allowedCidrs: ` +
      `remove 0.0.0.0/0 from swarmlab:allowedCidrs in ${STACK_FILE} (use your campus range), ` +
      `or drop the rule if you added it yourself.`,
  ];
}

export function checkOwner(props: Record<string, unknown>, config: OwnerConfig): string[] {
  const server = String(props.name ?? "a server");
  const tags = Array.isArray(props.tags) ? props.tags.map(String) : [];
  const owners = tags
    .filter((t) => t.startsWith(config.tagPrefix))
    .map((t) => t.slice(config.tagPrefix.length));
  const fix =
    `the server must carry the tag ${config.tagPrefix}<owner> and metadata ` +
    `${config.metadataKey}=<owner>: build servers with swarmlab's LabNode (it sets both from ` +
    `swarmlab:owner) rather than a bare openstack.compute.Instance.`;
  if (owners.length !== 1 || owners[0] === "") {
    return [`${server} has ${owners.length ? "more than one owner tag" : "no owner tag"}: ${fix}`];
  }
  // Metadata can be unknown in a preview (it holds the join token): then only the tag is checked.
  const metadata = props.metadata;
  if (metadata && typeof metadata === "object") {
    const owner = (metadata as Record<string, unknown>)[config.metadataKey];
    if (owner !== owners[0]) {
      return [
        `${server} is tagged for ${owners[0]} but its metadata ${config.metadataKey} is ` +
          `${owner === undefined ? "missing" : JSON.stringify(owner)}: ${fix}`,
      ];
    }
  }
  return [];
}

/** The teacher's value, else the default, key by key. */
function settings<T extends object>(args: { getConfig<C extends object>(): C }, defaults: T): T {
  return { ...defaults, ...args.getConfig<Partial<T>>() };
}

function schema(defaults: object, descriptions: Record<string, string>): PolicyConfigSchema {
  return {
    properties: Object.fromEntries(
      Object.entries(defaults).map(([key, value]) => [
        key,
        Array.isArray(value)
          ? {
              type: "array",
              items: { type: typeof value[0] === "number" ? "integer" : "string" },
              default: value,
              description: descriptions[key],
            }
          : {
              type: typeof value === "number" ? "integer" : "string",
              default: value,
              description: descriptions[key],
            },
      ]),
    ),
  };
}

function report(messages: readonly string[], reportViolation: (message: string) => void): void {
  for (const message of messages) reportViolation(message);
}

/** A mandatory rule on resources of one type, its settings being `defaults` overridden by config. */
function resourcePolicy<T extends object>(
  name: string,
  description: string,
  type: string,
  defaults: T,
  settingDescriptions: Record<keyof T & string, string>,
  check: (args: ResourceValidationArgs, config: T) => string[],
): ResourceValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    configSchema: schema(defaults, settingDescriptions),
    validateResource: (args, reportViolation) => {
      if (args.type !== type) return;
      report(check(args, settings(args, defaults)), reportViolation);
    },
  };
}

const nodesPolicy: StackValidationPolicy = {
  name: RULES.nodes,
  description: "A student's stack has at most the class's number of servers.",
  enforcementLevel: "mandatory",
  configSchema: schema(DEFAULTS.nodes, { maxNodes: "Most servers per student stack." }),
  validateStack: (args: StackValidationArgs, reportViolation) => {
    const servers = args.resources
      .filter((r) => r.type === SERVER)
      .map((r) => String(r.props.name ?? r.name));
    report(checkNodeCount(servers, settings(args, DEFAULTS.nodes)), reportViolation);
  },
};

const PORTS = { ports: "Ports never open to 0.0.0.0/0 or ::/0." };

export const policies: Policies = [
  resourcePolicy(
    RULES.flavor,
    "Servers use a flavor no larger than the class allows.",
    SERVER,
    DEFAULTS.flavor,
    {
      flavors: "The flavors students may use, smallest first.",
      largestFlavor: "The largest of `flavors` a student may use.",
    },
    (args, config) => checkFlavor(args.props, config),
  ),
  nodesPolicy,
  resourcePolicy(
    RULES.swarmPorts,
    "No swarm port (2377, 7946, 4789) is open to the whole internet.",
    SECURITY_RULE,
    DEFAULTS.swarmPorts,
    PORTS,
    (args, config) => checkPublicPorts(args.name, args.props, config, "swarm"),
  ),
  resourcePolicy(
    RULES.dockerApi,
    "No Docker API port (2375, 2376) is open to the whole internet.",
    SECURITY_RULE,
    DEFAULTS.dockerApi,
    PORTS,
    (args, config) => checkPublicPorts(args.name, args.props, config, "Docker API"),
  ),
  resourcePolicy(
    RULES.owner,
    "Every server carries its owner (tag and metadata).",
    SERVER,
    DEFAULTS.owner,
    {
      tagPrefix: "Owner tag prefix: the tag is <prefix><owner>.",
      metadataKey: "Instance metadata key that holds the owner.",
    },
    (args, config) => checkOwner(args.props, config),
  ),
];
