/**
 * The class's rules, which a teacher sets in policy/config.json: largest flavor, most servers per
 * student, no port open to more of the public internet than the class allows (swarm and Docker
 * API ports by name, and every port the stack opens from outside: SSH, the registry, published
 * ports), every server tagged with its owner.
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
import { CoverageLimits, DEFAULT_COVERAGE_LIMITS } from "../infra/config/cidr-coverage";
import { exposureMessage, openingOf, UNKNOWN, wideExposures } from "./exposure";

export const SERVER = "openstack:compute/instance:Instance";
export const SECURITY_RULE = "openstack:networking/secGroupRule:SecGroupRule";

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
/** Ports that must not be open to more public space than the limits allow. */
export interface PortsConfig extends CoverageLimits {
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
  wideAccess: "swarmlab-no-wide-access",
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
  swarmPorts: { ports: [2377, 7946, 4789], ...DEFAULT_COVERAGE_LIMITS } satisfies PortsConfig,
  /** Docker API: 2375 plain (never), 2376 TLS (only from allowedCidrs). */
  dockerApi: { ports: [2375, 2376], ...DEFAULT_COVERAGE_LIMITS } satisfies PortsConfig,
  /** Every port any rule opens from a CIDR: 22, 2376, 5000 and the published ports. */
  wideAccess: { ...DEFAULT_COVERAGE_LIMITS } satisfies CoverageLimits,
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
  // The pack sees names only, never sizes: a name the list does not hold may be a campus flavor
  // of any size, so it is refused with the way to allow it (issue 26, item 5).
  if (!config.flavors.includes(flavor)) {
    return [
      `${server} uses flavor ${flavor}, which this class's list does not name (the policy pack ` +
        `sees flavor names, not sizes; allowed: ${allowed.join(", ")}): use one of those ` +
        `(swarmlab:flavor, swarmlab:managerFlavor in ${STACK_FILE}), or, if ${flavor} is no ` +
        `larger than ${config.largestFlavor}, the teacher adds it to "flavors" of ` +
        `swarmlab-largest-flavor in policy/config.json, smallest first.`,
    ];
  }
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

/**
 * Violations for the ports the stack's security group rules open, all rules together, to more
 * public space than `config` allows (coverage, not strings: cidr-coverage.ts): `ports` when
 * given, else every port any rule opens from a CIDR.
 */
export function checkPortCoverage(
  rules: readonly { name: string; props: Record<string, unknown> }[],
  config: CoverageLimits & { ports?: readonly number[] },
  what: string,
): string[] {
  return portCoverageViolations(rules, config, what).map((v) => v.message);
}

/** The same, with the rules behind each message (the first is where the engine shows it). */
export function portCoverageViolations(
  rules: readonly { name: string; props: Record<string, unknown> }[],
  config: CoverageLimits & { ports?: readonly number[] },
  what: string,
): { message: string; rules: string[] }[] {
  const opened = rules.flatMap((r) => openingOf(r.name, r.props) ?? []);
  return wideExposures(opened, config, config.ports).map((e) => ({
    message: exposureMessage(e, what),
    rules: e.openings.map((o) => o.rule),
  }));
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

const LIMITS = {
  maxIpv4Prefix:
    "The most public IPv4 space a port may be open to, all rules together, as a prefix length: " +
    "8 allows one /8's worth (16,777,216 addresses). Private ranges do not count.",
  maxIpv6Prefix:
    "The same for IPv6: 32 allows one /32's worth. Unique local and link-local do not count.",
};
const PORTS = { ports: "The ports this rule checks.", ...LIMITS };

/** A mandatory rule over all the stack's security group rules together (coverage adds up). */
function exposurePolicy<T extends CoverageLimits & { ports?: number[] }>(
  name: string,
  description: string,
  defaults: T,
  settingDescriptions: Record<keyof T & string, string>,
  what: string,
): StackValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    configSchema: schema(defaults, settingDescriptions),
    validateStack: (args, reportViolation) => {
      const rules = args.resources.filter((r) => r.type === SECURITY_RULE);
      const urns = new Map(rules.map((r) => [r.name, r.urn]));
      // Reported on a rule's resource (the preview names it), not only on the stack.
      for (const v of portCoverageViolations(rules, settings(args, defaults), what)) {
        reportViolation(v.message, urns.get(v.rules[0]));
      }
    },
  };
}

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
  exposurePolicy(
    RULES.swarmPorts,
    "No swarm port (2377, 7946, 4789) is open to more than a /8 of the public internet.",
    DEFAULTS.swarmPorts,
    PORTS,
    "swarm",
  ),
  exposurePolicy(
    RULES.dockerApi,
    "No Docker API port (2375, 2376) is open to more than a /8 of the public internet.",
    DEFAULTS.dockerApi,
    PORTS,
    "Docker API",
  ),
  exposurePolicy(
    RULES.wideAccess,
    "No port the stack opens from outside (SSH, registry, Docker API, published ports) is open " +
      "to more than a /8 of the public internet.",
    DEFAULTS.wideAccess,
    LIMITS,
    "access",
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
