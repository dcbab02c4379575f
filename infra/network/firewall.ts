/**
 * Security groups: `<owner>-cluster` (swarm ports, only from members of the group itself) and
 * `<owner>-access` (SSH and what later issues add, only from allowedCidrs). Thin over the pure
 * rule specs of firewall-rules.ts.
 */
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import {
  ACCESS_PORT_RULES,
  accessRuleSpecs,
  clusterRuleSpecs,
  publishedPortRules,
  RuleSpec,
} from "./firewall-rules";
import { ownerTags } from "../config/naming";

export interface LabFirewallArgs {
  owner: string;
  allowedCidrs: readonly string[];
  /** TCP ports the chosen stacks publish: opened to allowedCidrs like SSH. Default none. */
  publishedPorts?: readonly number[];
}

export class LabFirewall extends pulumi.ComponentResource {
  public readonly clusterGroupId: pulumi.Output<string>;
  public readonly accessGroupId: pulumi.Output<string>;

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
        {
          securityGroupId: group.id,
          direction: "ingress",
          ethertype: "IPv4",
          protocol: spec.protocol,
          portRangeMin: spec.ports?.min,
          portRangeMax: spec.ports?.max,
          remoteGroupId: spec.source.kind === "cluster-members" ? cluster.id : undefined,
          remoteIpPrefix: spec.source.kind === "cidr" ? spec.source.cidr : undefined,
          description: spec.description,
        },
        { parent: this },
      );
    clusterRuleSpecs().forEach((spec) => addRule(cluster, "cluster", spec));
    accessRuleSpecs(args.allowedCidrs, [
      ...ACCESS_PORT_RULES,
      ...publishedPortRules(args.publishedPorts ?? []),
    ]).forEach((spec) => addRule(access, "access", spec));

    this.clusterGroupId = cluster.id;
    this.accessGroupId = access.id;
    this.registerOutputs({
      clusterGroupId: this.clusterGroupId,
      accessGroupId: this.accessGroupId,
    });
  }
}
