/**
 * IPv4 CIDR arithmetic for validation and address planning. Parsing is delegated to ipaddr.js
 * (well-kept, no dependencies) rather than hand-written regexes.
 */
import * as ipaddr from "ipaddr.js";

export interface Ipv4Cidr {
  /** The network address, e.g. "10.42.0.0". */
  network: string;
  prefix: number;
  /** The CIDR as written canonically, e.g. "10.42.0.0/24". */
  text: string;
}

export type CidrParse = { ok: true; cidr: Ipv4Cidr } | { ok: false; reason: string };

/**
 * Parses "a.b.c.d/n". Refuses a bare address and host bits set after the prefix (Neutron would
 * silently widen or reject them), naming the CIDR that was probably meant.
 */
export function parseIpv4Cidr(text: string): CidrParse {
  if (!text.includes("/")) {
    return ipaddr.IPv4.isValidFourPartDecimal(text)
      ? { ok: false, reason: `it has no prefix length; for one address write ${text}/32` }
      : { ok: false, reason: "it is not an IPv4 CIDR like 10.42.0.0/24" };
  }
  let address: ipaddr.IPv4;
  let prefix: number;
  try {
    const [addr, bits] = ipaddr.IPv4.parseCIDR(text);
    address = addr;
    prefix = bits;
  } catch {
    return { ok: false, reason: "it is not an IPv4 CIDR like 10.42.0.0/24" };
  }
  if (!ipaddr.IPv4.isValidFourPartDecimal(text.split("/")[0])) {
    return { ok: false, reason: "it is not an IPv4 CIDR like 10.42.0.0/24" };
  }
  const network = ipaddr.IPv4.networkAddressFromCIDR(text).toString();
  if (network !== address.toString()) {
    return {
      ok: false,
      reason: `it has host bits set after the /${prefix}; the network is ${network}/${prefix}`,
    };
  }
  return { ok: true, cidr: { network, prefix, text: `${network}/${prefix}` } };
}

/** The first and last address of a CIDR, as numbers. */
export function cidrRange(cidr: Ipv4Cidr): [number, number] {
  const start = ipv4ToNumber(cidr.network);
  const size = 2 ** (32 - cidr.prefix);
  return [start, start + size - 1];
}

export function ipv4ToNumber(address: string): number {
  return ipaddr.IPv4.parse(address)
    .toByteArray()
    .reduce((acc, byte) => acc * 256 + byte, 0);
}

export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  const [aStart, aEnd] = cidrRange(a);
  const [bStart, bEnd] = cidrRange(b);
  return aStart <= bEnd && bStart <= aEnd;
}

/** Addresses a Neutron subnet can hand to ports: minus network, broadcast, gateway and DHCP. */
export function usableHostCount(cidr: Ipv4Cidr): number {
  return Math.max(0, 2 ** (32 - cidr.prefix) - 4);
}

export function isIpv4Address(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text);
}

/**
 * Candidate swarm default address pools, tried in order. Docker's own default (10.0.0.0/8) would
 * overlap almost every tenant subnet in 10/8, and an overlay network that overlaps the node subnet
 * makes replies to nodes go into the overlay.
 */
export const SWARM_POOL_CANDIDATES = ["10.200.0.0/16", "172.29.0.0/16", "192.168.192.0/18"];

/** The first candidate pool that overlaps none of `avoid`, or undefined if all do. */
export function chooseSwarmAddressPool(avoid: readonly Ipv4Cidr[]): string | undefined {
  return SWARM_POOL_CANDIDATES.find((candidate) => {
    const parsed = parseIpv4Cidr(candidate);
    return parsed.ok && !avoid.some((cidr) => cidrsOverlap(parsed.cidr, cidr));
  });
}
