/**
 * Quota arithmetic: what a cluster takes from its OpenStack project, counted from what the
 * program in infra/ creates, and whether a project has room for a class. Pure, so it is tested
 * on fixed limits; the limits themselves come from a QuotaSource (quota-source.ts).
 */
import type { LabConfig } from "../../infra/config/config";
import { accessGroupRuleSpecs, clusterRuleSpecs } from "../../infra/network/firewall-rules";
import { stackFolders } from "../../infra/stacks/catalog";
import { chosenStackPorts } from "../../infra/stacks/published-ports";

export const QUOTA_RESOURCES = [
  "instances",
  "vcpus",
  "ramMiB",
  "volumes",
  "volumeGiB",
  "floatingIps",
  "securityGroups",
  "securityGroupRules",
  "networks",
  "subnets",
  "routers",
  "ports",
] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

export const RESOURCE_LABELS: Record<QuotaResource, string> = {
  instances: "instances",
  vcpus: "vCPUs",
  ramMiB: "RAM (MiB)",
  volumes: "volumes",
  volumeGiB: "volume GiB",
  floatingIps: "floating IPs",
  securityGroups: "security groups",
  securityGroupRules: "security group rules",
  networks: "networks",
  subnets: "subnets",
  routers: "routers",
  ports: "ports",
};

export type Needs = Record<QuotaResource, number>;

export interface Flavor {
  vcpus: number;
  ramMiB: number;
}

/** One resource's quota; limit -1 is OpenStack's "unlimited"; used is unknown when not reported. */
export interface Usage {
  limit: number;
  used?: number;
}
export type ProjectQuota = Partial<Record<QuotaResource, Usage>>;

/** Neutron gives every new security group two egress rules (IPv4, IPv6); they count too. */
const DEFAULT_RULES_PER_GROUP = 2;
/** infra/network/firewall.ts: `<owner>-swarmlab-cluster` and `<owner>-swarmlab-access`. */
const GROUPS_PER_CLUSTER = 2;

export function noNeeds(): Needs {
  return Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, 0])) as Needs;
}

/**
 * What one cluster needs (infra/network/network.ts, firewall.ts, nodes.ts): a server, a port and
 * optionally a Docker volume and a boot volume per node, a floating IP per manager, two security groups with their
 * rules, and unless `network` names an existing one: network, subnet, router, and two more
 * ports (the router interface and the subnet's DHCP port).
 */
export function clusterNeeds(config: LabConfig, flavors: Readonly<Record<string, Flavor>>): Needs {
  const nodes = config.managers + config.workers;
  const manager = flavors[config.managerFlavor];
  const worker = flavors[config.flavor];
  if (manager === undefined || worker === undefined) {
    throw new Error(
      `flavor ${manager === undefined ? config.managerFlavor : config.flavor} unknown`,
    );
  }
  const ownNetwork = config.network === undefined ? 1 : 0;
  const dockerVolumes = config.dockerVolumeSize === undefined ? 0 : nodes;
  // Boot from volume (swarmlab:bootVolumeSize): one more volume per server, from the same quota.
  const bootVolumes = config.bootVolumeSize === undefined ? 0 : nodes;
  return {
    instances: nodes,
    vcpus: config.managers * manager.vcpus + config.workers * worker.vcpus,
    ramMiB: config.managers * manager.ramMiB + config.workers * worker.ramMiB,
    volumes: dockerVolumes + bootVolumes,
    volumeGiB:
      dockerVolumes * (config.dockerVolumeSize ?? 0) + bootVolumes * (config.bootVolumeSize ?? 0),
    floatingIps: config.managers,
    securityGroups: GROUPS_PER_CLUSTER,
    securityGroupRules:
      GROUPS_PER_CLUSTER * DEFAULT_RULES_PER_GROUP +
      clusterRuleSpecs().length +
      // Each port a chosen stack publishes is one more rule per allowed CIDR (issue 26, item 4).
      accessGroupRuleSpecs(
        config.allowedCidrs,
        chosenStackPorts(config.stacks, stackFolders(config.stacksDirs)),
      ).length,
    networks: ownNetwork,
    subnets: ownNetwork,
    routers: ownNetwork,
    ports: nodes + 2 * ownNetwork,
  };
}

export function addNeeds(a: Needs, b: Needs): Needs {
  return Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, a[r] + b[r]])) as Needs;
}

export interface Shortfall {
  resource: QuotaResource;
  needed: number;
  used?: number;
  limit: number;
}

/** The resources the need does not fit in; unlimited (-1) and unreported quotas always fit. */
export function shortfalls(needs: Needs, quota: ProjectQuota): Shortfall[] {
  return QUOTA_RESOURCES.flatMap((resource) => {
    const usage = quota[resource];
    const needed = needs[resource];
    if (usage === undefined || usage.limit < 0 || needed === 0) return [];
    const left = usage.limit - (usage.used ?? 0);
    if (needed <= left) return [];
    return [
      {
        resource,
        needed,
        limit: usage.limit,
        ...(usage.used !== undefined ? { used: usage.used } : {}),
      },
    ];
  });
}

export function shortfallText(s: Shortfall): string {
  const used = s.used === undefined ? "usage not reported" : `${s.used} used`;
  const left = s.used === undefined ? "" : `, ${Math.max(0, s.limit - s.used)} left`;
  return `${RESOURCE_LABELS[s.resource]}: needs ${s.needed}, ${used} of a limit of ${s.limit}${left}`;
}

/** The refusal for one project: every short resource with its numbers, and what to do. */
export function refusalText(
  project: string,
  students: readonly string[],
  list: readonly Shortfall[],
): string {
  return [
    `OpenStack project ${project} has no room for ${students.length} new cluster(s) (${students.join(", ")}); nothing was created:`,
    ...list.map((s) => `  - ${shortfallText(s)}`),
    "Ask for a larger quota, use smaller flavors or fewer workers, bring up part of the class with --only, or skip this check with --skip-quota.",
  ].join("\n");
}
