/**
 * Which ports a stack's security group rules open to the outside, and to how much of the public
 * address space, counted over ALL the stack's rules together: two rules for 0.0.0.0/1 and
 * 128.0.0.0/1 open a port to the whole internet as surely as one for 0.0.0.0/0. Rules are read
 * from plain props (as the policy engine gives them), so tests feed the program's own resources.
 *
 * Every group of the stack is counted as one (a server carries the access group and the cluster
 * group together): a rule in any group that opens a port counts for that port.
 */
import {
  CoverageLimits,
  FamilyCoverage,
  describeCoverage,
  publicCoverage,
} from "../infra/config/cidr-coverage";

/** The engine's placeholder for a value not known until `pulumi up` (a preview of a new stack). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type PortProtocol = "tcp" | "udp";

/** One ingress rule from a CIDR (not from a security group), as the ports it opens. */
export interface Opening {
  rule: string;
  protocols: readonly PortProtocol[];
  min: number;
  max: number;
  /** The CIDR the rule opens to; Neutron reads a rule with no remote as everyone of its family. */
  cidr: string;
  /** True when the rule names no remote at all (no CIDR, no group). */
  noRemote: boolean;
}

const PROTOCOLS: Record<string, readonly PortProtocol[]> = {
  // Neutron: a missing protocol is every protocol; "any" too. Numbers are IANA's (6 tcp, 17 udp).
  "": ["tcp", "udp"],
  any: ["tcp", "udp"],
  tcp: ["tcp"],
  "6": ["tcp"],
  udp: ["udp"],
  "17": ["udp"],
};

const present = (value: unknown) => value !== undefined && value !== null && value !== "";

/**
 * What one security group rule opens from outside, or undefined when it opens no port to a CIDR
 * (egress, remote group, ICMP and other portless protocols, a remote not known in this preview).
 */
export function openingOf(rule: string, props: Record<string, unknown>): Opening | undefined {
  if (present(props.direction) && props.direction !== "ingress") return undefined;
  if (present(props.remoteGroupId)) return undefined;
  const protocols = PROTOCOLS[String(props.protocol ?? "").toLowerCase()];
  if (!protocols) return undefined;
  const prefix = props.remoteIpPrefix;
  if (prefix === UNKNOWN) return undefined;
  const noRemote = !present(prefix);
  const cidr = noRemote ? (props.ethertype === "IPv6" ? "::/0" : "0.0.0.0/0") : String(prefix);
  // A missing or zero port range is every port.
  const min =
    typeof props.portRangeMin === "number" && props.portRangeMin > 0 ? props.portRangeMin : 1;
  const max =
    typeof props.portRangeMax === "number" && props.portRangeMax > 0 ? props.portRangeMax : 65535;
  return { rule, protocols, min, max, cidr, noRemote };
}

/** Ports opened too widely, with the rules and CIDRs that together do it. */
export interface WideExposure {
  /** Port ranges (inclusive) with the same rules behind them. */
  ports: { min: number; max: number }[];
  protocols: PortProtocol[];
  openings: Opening[];
  tooWide: FamilyCoverage[];
}

/**
 * Port ranges opened to more public space than `limits` allow, over all `openings` together.
 * With `only`, just those ports are looked at; else every port any opening opens. Ranges that
 * share the same openings are reported together.
 */
export function wideExposures(
  openings: readonly Opening[],
  limits: CoverageLimits,
  only?: readonly number[],
): WideExposure[] {
  const found = new Map<string, WideExposure>();
  for (const protocol of ["tcp", "udp"] as const) {
    const mine = openings.filter((o) => o.protocols.includes(protocol));
    for (const range of segments(mine, only)) {
      const covering = mine.filter((o) => o.min <= range.min && range.max <= o.max);
      if (covering.length === 0) continue;
      const { tooWide } = publicCoverage(
        covering.map((o) => o.cidr),
        limits,
      );
      if (tooWide.length === 0) continue;
      const key = covering.map((o) => o.rule).join("\n");
      const entry = found.get(key) ?? { ports: [], protocols: [], openings: covering, tooWide };
      if (!entry.ports.some((p) => p.min === range.min && p.max === range.max)) {
        entry.ports.push(range);
      }
      if (!entry.protocols.includes(protocol)) entry.protocols.push(protocol);
      found.set(key, entry);
    }
  }
  return [...found.values()];
}

/** The port ranges on which the set of covering openings is constant (or the `only` ports). */
function segments(
  openings: readonly Opening[],
  only?: readonly number[],
): { min: number; max: number }[] {
  if (only) return [...new Set(only)].sort((a, b) => a - b).map((p) => ({ min: p, max: p }));
  const cuts = new Set<number>();
  for (const o of openings) {
    cuts.add(o.min);
    cuts.add(o.max + 1);
  }
  const sorted = [...cuts].sort((a, b) => a - b);
  return sorted.slice(0, -1).map((min, i) => ({ min, max: sorted[i + 1] - 1 }));
}

const portText = (p: { min: number; max: number }) =>
  p.min === p.max ? String(p.min) : `${p.min}-${p.max}`;

/** The violation for one exposure: which rules, which ports, how wide, and how to fix it. */
export function exposureMessage(exposure: WideExposure, what: string): string {
  const rules = exposure.openings.map((o) => o.rule);
  const many = rules.length > 1;
  const ports = exposure.ports.map(portText);
  const manyPorts = ports.length > 1 || exposure.ports.some((p) => p.min !== p.max);
  const remotes = exposure.openings.map((o) =>
    o.noRemote ? `anywhere (${o.rule} has no remote CIDR or group)` : o.cidr,
  );
  const given = [...new Set(exposure.openings.filter((o) => !o.noRemote).map((o) => o.cidr))];
  const wide = exposure.tooWide.map(describeCoverage).join("; ");
  const removal =
    given.length > 0
      ? `remove ${given.join(", ")} from swarmlab:allowedCidrs in Pulumi.<stack>.yaml (use ` +
        `your campus range)`
      : "give the rule a remote CIDR (your campus range) or the cluster's security group";
  return (
    `security group rule${many ? "s" : ""} ${rules.join(", ")} open${many ? "" : "s"} ${what} ` +
    `port${manyPorts ? "s" : ""} ${ports.join(", ")} (${exposure.protocols.join(", ")}) to ` +
    `${[...new Set(remotes)].join(", ")}: ${wide}. Such ports must be reachable only from the ` +
    `cluster's own security group or from swarmlab:allowedCidrs of campus size: ${removal}, ` +
    `or narrow or drop the rule if you added it yourself.`
  );
}
