/**
 * How much of the public address space a set of CIDRs opens to: the one measure behind the
 * config check's warning (validate.ts) and the class policy pack (policy/rules.ts), so that
 * "too wide" means the same thing in both. Coverage, not strings: `0.0.0.0/1` + `128.0.0.0/1`
 * is the whole internet although neither is `0.0.0.0/0`. Overlapping ranges are counted once
 * and private ranges not at all (they reach no one outside the campus or the cloud).
 *
 * Pure, and with no import but ipaddr.js, so that the policy pack can load it on its own.
 */
import * as ipaddr from "ipaddr.js";

export type IpFamily = "ipv4" | "ipv6";

const BITS: Record<IpFamily, number> = { ipv4: 32, ipv6: 128 };

/**
 * Ranges that are not public: RFC 1918, loopback, link-local, CGNAT (RFC 6598) for IPv4; unique
 * local (fc00::/7), link-local and loopback for IPv6.
 */
export const NON_PUBLIC_RANGES: Readonly<Record<IpFamily, readonly string[]>> = {
  ipv4: [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "100.64.0.0/10",
  ],
  ipv6: ["fc00::/7", "fe80::/10", "::1/128"],
};

/**
 * The most public space a port may be open to, as the prefix length of one block of that size:
 * 8 means at most 2^24 IPv4 addresses in total (one /8), 32 at most 2^96 IPv6 addresses.
 */
export interface CoverageLimits {
  maxIpv4Prefix: number;
  maxIpv6Prefix: number;
}

/** The defaults of the class: no more than a /8 of public IPv4, or a /32 of public IPv6. */
export const DEFAULT_COVERAGE_LIMITS: CoverageLimits = { maxIpv4Prefix: 8, maxIpv6Prefix: 32 };

interface Interval {
  start: bigint;
  /** Inclusive. */
  end: bigint;
}

export interface ParsedRange extends Interval {
  family: IpFamily;
}

/** A CIDR of either family as an address interval; undefined for anything else. */
export function parseRange(text: string): ParsedRange | undefined {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(text.trim());
  } catch {
    return undefined;
  }
  const [address, prefix] = parsed;
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) stays IPv6: that is the family Neutron sees.
  const family: IpFamily = address.kind() === "ipv4" ? "ipv4" : "ipv6";
  const bits = BITS[family];
  const value = address.toByteArray().reduce((acc, byte) => acc * 256n + BigInt(byte), 0n);
  const size = 1n << BigInt(bits - prefix);
  // Host bits set (10.0.0.1/8) mean the same network to Neutron: round down to it.
  const start = (value / size) * size;
  return { family, start, end: start + size - 1n };
}

/** Sorted, non-overlapping, adjacent ones merged. */
function union(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) =>
    a.start < b.start ? -1 : a.start > b.start ? 1 : 0,
  );
  const merged: Interval[] = [];
  for (const next of sorted) {
    const last = merged[merged.length - 1];
    if (last && next.start <= last.end + 1n) {
      if (next.end > last.end) last.end = next.end;
    } else {
      merged.push({ ...next });
    }
  }
  return merged;
}

function size(intervals: readonly Interval[]): bigint {
  return intervals.reduce((sum, i) => sum + (i.end - i.start + 1n), 0n);
}

function overlap(a: Interval, b: Interval): bigint {
  const start = a.start > b.start ? a.start : b.start;
  const end = a.end < b.end ? a.end : b.end;
  return end >= start ? end - start + 1n : 0n;
}

const NON_PUBLIC: Record<IpFamily, Interval[]> = {
  ipv4: union(NON_PUBLIC_RANGES.ipv4.map((c) => parseRange(c) as ParsedRange)),
  ipv6: union(NON_PUBLIC_RANGES.ipv6.map((c) => parseRange(c) as ParsedRange)),
};

/** Public addresses in the union of `ranges` of one family (each counted once). */
function publicSize(ranges: readonly Interval[], family: IpFamily): bigint {
  const merged = union(ranges);
  let privateInside = 0n;
  // Both lists are merged, so no private address is subtracted twice.
  for (const range of merged) {
    for (const exempt of NON_PUBLIC[family]) privateInside += overlap(range, exempt);
  }
  return size(merged) - privateInside;
}

/** Public addresses the union of `cidrs` holds, per family (unparsable texts count nothing). */
export function publicAddressCount(cidrs: readonly string[]): Record<IpFamily, bigint> {
  const ranges = cidrs.flatMap((text) => parseRange(text) ?? []);
  return {
    ipv4: publicSize(
      ranges.filter((r) => r.family === "ipv4"),
      "ipv4",
    ),
    ipv6: publicSize(
      ranges.filter((r) => r.family === "ipv6"),
      "ipv6",
    ),
  };
}

export interface FamilyCoverage {
  family: IpFamily;
  /** Public addresses covered, each counted once. */
  publicAddresses: bigint;
  /** The most the limits allow. */
  allowed: bigint;
  /** The CIDRs of this family that hold public addresses, as given, widest first. */
  publicCidrs: string[];
}

export interface Coverage {
  /** Families whose public coverage is over the limit (empty: within it). */
  tooWide: FamilyCoverage[];
  /** Texts that are no CIDR of either family (the caller reports them its own way). */
  unparsed: string[];
}

/**
 * Whether `cidrs` together open more public space than `limits` allow, per family. Only the
 * total counts: many small ranges that add up to more than a /8 are as wide as one /7.
 */
export function publicCoverage(
  cidrs: readonly string[],
  limits: CoverageLimits = DEFAULT_COVERAGE_LIMITS,
): Coverage {
  const unparsed: string[] = [];
  const byFamily: Record<IpFamily, { text: string; range: ParsedRange }[]> = { ipv4: [], ipv6: [] };
  for (const text of cidrs) {
    const range = parseRange(text);
    if (range) byFamily[range.family].push({ text, range });
    else unparsed.push(text);
  }
  const maxPrefix: Record<IpFamily, number> = {
    ipv4: limits.maxIpv4Prefix,
    ipv6: limits.maxIpv6Prefix,
  };
  const tooWide: FamilyCoverage[] = [];
  for (const family of ["ipv4", "ipv6"] as const) {
    const entries = byFamily[family];
    if (entries.length === 0) continue;
    const publicAddresses = publicSize(
      entries.map((e) => e.range),
      family,
    );
    const allowed = 1n << BigInt(BITS[family] - maxPrefix[family]);
    if (publicAddresses <= allowed) continue;
    const publicCidrs = entries
      .filter((e) => publicSize([e.range], family) > 0n)
      .sort((a, b) => {
        const [widthA, widthB] = [a.range.end - a.range.start, b.range.end - b.range.start];
        return widthA > widthB ? -1 : widthA < widthB ? 1 : 0;
      })
      .map((e) => e.text);
    tooWide.push({ family, publicAddresses, allowed, publicCidrs: [...new Set(publicCidrs)] });
  }
  return { tooWide, unparsed };
}

/** "2^32 public IPv4 addresses, more than a /8 allows (2^24)": for messages. */
export function describeCoverage(coverage: FamilyCoverage): string {
  const name = coverage.family === "ipv4" ? "IPv4" : "IPv6";
  const prefix = BITS[coverage.family] - (coverage.allowed.toString(2).length - 1);
  return (
    `${formatCount(coverage.publicAddresses)} public ${name} addresses in total, more than ` +
    `the ${formatCount(coverage.allowed)} of a /${prefix} this class allows`
  );
}

/** Exact while that reads well (every IPv4 count), else a power of two (2^97), as IPv6 blocks are. */
function formatCount(n: bigint): string {
  if (n <= 1n << 32n) return n.toLocaleString("en-US");
  const log2 = n.toString(2).length - 1;
  return n === 1n << BigInt(log2) ? `2^${log2}` : `about 2^${log2}`;
}
