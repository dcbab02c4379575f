/**
 * What the nodes' subnet decides: whether it has room for every node, and the swarm's overlay
 * address pool. One rule for the subnet swarmlab creates (`cidr`, checked in parseLabConfig) and
 * for an existing network's subnet (`network`, known only once OpenStack is asked, at preview).
 *
 * The pool depends on the subnet alone. It goes into the user-data, and a new user-data replaces
 * every server, so a firewall key (`allowedCidrs`) must never move it: an overlap with
 * allowedCidrs is a warning that says what it means, not a reason to rebuild the cluster.
 */
import type { LabConfig } from "./config";
import type { ConfigProblem } from "./validate";
import {
  chooseSwarmAddressPool,
  cidrsOverlap,
  Ipv4Cidr,
  parseIpv4Cidr,
  usableHostCount,
} from "./cidr";

export interface SubnetCheck {
  /** Reasons the subnet cannot carry this cluster, each with its fix. */
  problems: string[];
  /** The overlay address pool; undefined when every candidate overlaps the subnet. */
  swarmAddressPool?: string;
}

export function checkNodeSubnet(subnet: Ipv4Cidr, nodes: number): SubnetCheck {
  const problems: string[] = [];
  const room = usableHostCount(subnet);
  if (room < nodes) {
    problems.push(
      `it has room for ${room} nodes but the cluster has ${nodes}; use a larger subnet such as ` +
        `${subnet.network}/24`,
    );
  }
  const swarmAddressPool = chooseSwarmAddressPool([subnet]);
  if (swarmAddressPool === undefined) {
    problems.push(
      "every swarm address pool swarmlab can use overlaps it; move the subnet into " +
        "10.0.0.0/16..10.199.0.0/16",
    );
  }
  return { problems, ...(swarmAddressPool !== undefined ? { swarmAddressPool } : {}) };
}

/** Warnings for allowed CIDRs (other than 0.0.0.0/0) that overlap the overlay pool. */
export function poolOverlapWarnings(pool: string, allowedCidrs: readonly string[]): string[] {
  const parsedPool = parseIpv4Cidr(pool);
  if (!parsedPool.ok) return [];
  return allowedCidrs
    .map((text) => parseIpv4Cidr(text))
    .filter(
      (parsed) => parsed.ok && parsed.cidr.prefix > 0 && cidrsOverlap(parsed.cidr, parsedPool.cidr),
    )
    .map((parsed) => (parsed as { cidr: Ipv4Cidr }).cidr.text)
    .map(
      (cidr) =>
        `allowedCidrs ${cidr} overlaps the swarm's overlay address pool ${pool}: containers on ` +
        `overlay networks cannot reach hosts outside the swarm whose addresses are in ${pool} ` +
        "(SSH to the nodes is not affected). The pool follows the subnet only, so this firewall " +
        `key never rebuilds the cluster; if such hosts matter, move swarmlab:cidr into ${pool} ` +
        "so swarmlab picks the next pool (that replaces every server)",
    );
}

export type ExistingNetworkResult =
  { ok: true; config: LabConfig; warnings: string[] } | { ok: false; problems: ConfigProblem[] };

/**
 * The config for an existing network, once its subnet is known: the room check and the pool
 * from that subnet (not from `cidr`, which only shapes a subnet swarmlab creates).
 */
export function existingNetworkConfig(
  config: LabConfig,
  subnetText: string,
): ExistingNetworkResult {
  const network = JSON.stringify(config.network);
  const parsed = parseIpv4Cidr(subnetText);
  if (!parsed.ok) {
    return {
      ok: false,
      problems: [
        {
          key: "network",
          reason: `is ${network}: its IPv4 subnet ${JSON.stringify(subnetText)} is not a CIDR swarmlab can plan with (${parsed.reason})`,
        },
      ],
    };
  }
  const check = checkNodeSubnet(parsed.cidr, config.managers + config.workers);
  if (check.swarmAddressPool === undefined || check.problems.length > 0) {
    return {
      ok: false,
      problems: check.problems.map((reason) => ({
        key: "network",
        reason: `is ${network} (subnet ${parsed.cidr.text}): ${reason}`,
      })),
    };
  }
  return {
    ok: true,
    config: Object.freeze({
      ...config,
      cidr: parsed.cidr.text,
      swarmAddressPool: check.swarmAddressPool,
    }),
    warnings: poolOverlapWarnings(check.swarmAddressPool, config.allowedCidrs),
  };
}
