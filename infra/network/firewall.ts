/**
 * Security groups: `<owner>-cluster` (swarm ports, only from members of the group itself) and
 * `<owner>-access` (SSH and what later issues add, only from allowedCidrs). Thin over the pure
 * rule specs of firewall-rules.ts.
 */
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import {
  accessGroupRuleSpecs,
  clusterRuleSpecs,
  PublishedPortSpec,
  RuleSpec,
} from "./firewall-rules";
import { ownerTags } from "../config/naming";

/**
 * A rule is deleted before its replacement is created: every argument is ForceNew, and Neutron
 * answers 409 SecurityGroupRuleExists to a second identical rule (openstack-schema.ts).
 */
export const RULE_OPTIONS = { deleteBeforeReplace: true } as const;

/** The provider arguments of one rule of `groupId`; `clusterId` is the members' group. */
export function ruleArgs(
  spec: RuleSpec,
  groupId: pulumi.Input<string>,
  clusterId: pulumi.Input<string>,
): openstack.networking.SecGroupRuleArgs {
  return {
    securityGroupId: groupId,
    direction: "ingress",
    ethertype: "IPv4",
    protocol: spec.protocol,
    portRangeMin: spec.ports?.min,
    portRangeMax: spec.ports?.max,
    remoteGroupId: spec.source.kind === "cluster-members" ? clusterId : undefined,
    remoteIpPrefix: spec.source.kind === "cidr" ? spec.source.cidr : undefined,
    description: spec.description,
  };
}

export interface LabFirewallArgs {
  owner: string;
  allowedCidrs: readonly string[];
  /** Ports the chosen stacks publish (TCP or UDP): opened to allowedCidrs like SSH. Default none. */
  publishedPorts?: readonly PublishedPortSpec[];
}

export class LabFirewall extends pulumi.ComponentResource {
  public readonly clusterGroupId: pulumi.Output<string>;
  public readonly accessGroupId: pulumi.Output<string>;
  /**
   * The rules SSH-driven steps need to reach the nodes: those steps depend on them, so
   * `pulumi destroy` deletes the rules only after the steps' own delete scripts have run.
   */
  public readonly sshRules: pulumi.Resource[];

  constructor(name: string, args: LabFirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:firewall:LabFirewall", name, {}, opts);
    const tags = ownerTags(args.owner);

    const cluster = new openstack.networking.SecGroup(
      `${name}-cluster`,
      {
        name: `${args.owner}-swarmlab-cluster`,
        description: "Docker Swarm traffic between the nodes of one swarmlab cluster",
        tags,
      },
      { parent: this },
    );
    const access = new openstack.networking.SecGroup(
      `${name}-access`,
      {
        name: `${args.owner}-swarmlab-access`,
        description: "SSH and cluster services from the allowed networks",
        tags,
      },
      { parent: this },
    );

    const addRule = (group: openstack.networking.SecGroup, groupRole: string, spec: RuleSpec) =>
      new openstack.networking.SecGroupRule(
        `${name}-${groupRole}-${spec.name}`,
        ruleArgs(spec, group.id, cluster.id),
        { parent: this, ...RULE_OPTIONS },
      );
    const accessSpecs = accessGroupRuleSpecs(args.allowedCidrs, args.publishedPorts ?? []);
    const rules = [
      ...clusterRuleSpecs().map((spec) => ({ spec, rule: addRule(cluster, "cluster", spec) })),
      ...accessSpecs.map((spec) => ({ spec, rule: addRule(access, "access", spec) })),
    ];
    this.sshRules = rules
      .filter(({ spec }) => spec.protocol === "tcp" && spec.ports?.min === 22)
      .map(({ rule }) => rule);

    this.clusterGroupId = cluster.id;
    this.accessGroupId = access.id;
    this.registerOutputs({
      clusterGroupId: this.clusterGroupId,
      accessGroupId: this.accessGroupId,
    });
  }
}
