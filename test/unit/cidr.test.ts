import fc from "fast-check";
import * as ipaddr from "ipaddr.js";
import {
  chooseSwarmAddressPool,
  cidrsOverlap,
  ipv4ToNumber,
  parseIpv4Cidr,
  SWARM_POOL_CANDIDATES,
  usableHostCount,
} from "../../infra/config/cidr";
import {
  CoverageLimits,
  describeCoverage,
  NON_PUBLIC_RANGES,
  publicAddressCount,
  publicCoverage,
} from "../../infra/config/cidr-coverage";

const octet = fc.integer({ min: 0, max: 255 });
const address = fc.tuple(octet, octet, octet, octet).map((o) => o.join("."));
const prefix = fc.integer({ min: 0, max: 32 });

function networkOf(addr: string, bits: number): string {
  const value = bits === 0 ? 0 : (ipv4ToNumber(addr) >>> (32 - bits)) * 2 ** (32 - bits);
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

describe("parseIpv4Cidr", () => {
  it("accepts exactly the CIDRs whose host bits are zero", () => {
    fc.assert(
      fc.property(address, prefix, (addr, bits) => {
        const parsed = parseIpv4Cidr(`${addr}/${bits}`);
        const network = networkOf(addr, bits);
        if (network === addr) {
          expect(parsed).toEqual({
            ok: true,
            cidr: { network, prefix: bits, text: `${addr}/${bits}` },
          });
        } else {
          expect(parsed.ok).toBe(false);
          expect(!parsed.ok && parsed.reason).toContain(`${network}/${bits}`);
        }
      }),
    );
  });

  it.each(["10.0.0/8", "10.0.0.0/33", "a.b.c.d/8", "", "10.0.0.0/-1", "010.0.0.0/8"])(
    "refuses %p",
    (text) => expect(parseIpv4Cidr(text).ok).toBe(false),
  );
});

describe("cidrsOverlap", () => {
  const cidr = fc.tuple(address, prefix).map(([a, p]) => {
    const parsed = parseIpv4Cidr(`${networkOf(a, p)}/${p}`);
    if (!parsed.ok) throw new Error("generator made a bad CIDR");
    return parsed.cidr;
  });

  it("is symmetric, and a CIDR overlaps itself and any CIDR containing it", () => {
    fc.assert(
      fc.property(cidr, cidr, (a, b) => {
        expect(cidrsOverlap(a, b)).toBe(cidrsOverlap(b, a));
        expect(cidrsOverlap(a, a)).toBe(true);
        const wider = parseIpv4Cidr(
          `${networkOf(a.network, Math.max(0, a.prefix - 1))}/${Math.max(0, a.prefix - 1)}`,
        );
        expect(wider.ok && cidrsOverlap(a, wider.cidr)).toBe(true);
      }),
    );
  });

  it("agrees with a membership check of both network addresses", () => {
    fc.assert(
      fc.property(cidr, cidr, (a, b) => {
        const contains = (outer: typeof a, addr: string) =>
          networkOf(addr, outer.prefix) === outer.network;
        const expected = contains(a, b.network) || contains(b, a.network);
        expect(cidrsOverlap(a, b)).toBe(expected);
      }),
    );
  });
});

describe("address planning", () => {
  it("counts usable Neutron addresses", () => {
    const count = (text: string) => {
      const parsed = parseIpv4Cidr(text);
      return parsed.ok ? usableHostCount(parsed.cidr) : -1;
    };
    expect(count("10.42.0.0/24")).toBe(252);
    expect(count("10.42.0.0/30")).toBe(0);
  });

  it("never picks a swarm pool overlapping what it must avoid", () => {
    fc.assert(
      fc.property(address, fc.integer({ min: 8, max: 30 }), (addr, bits) => {
        const parsed = parseIpv4Cidr(`${networkOf(addr, bits)}/${bits}`);
        if (!parsed.ok) return;
        const pool = chooseSwarmAddressPool([parsed.cidr]);
        expect(pool).toBeDefined();
        const poolCidr = parseIpv4Cidr(pool as string);
        expect(poolCidr.ok && cidrsOverlap(poolCidr.cidr, parsed.cidr)).toBe(false);
      }),
    );
    expect(SWARM_POOL_CANDIDATES[0]).toBe("10.200.0.0/16");
  });
});

describe("publicCoverage (the config warning's and the policy pack's one measure)", () => {
  // Counts as decimal strings: jest's workers cannot pass a BigInt in a failure message.
  const count = (cidrs: string[]) => publicAddressCount(cidrs).ipv4.toString();
  const tooWide = (cidrs: string[], limits?: CoverageLimits) =>
    publicCoverage(cidrs, limits).tooWide.map((c) => [
      c.family,
      c.publicAddresses.toString(),
      c.publicCidrs,
    ]);

  it("finds the whole internet split in two, or in many pieces, as wide as 0.0.0.0/0", () => {
    // 2^32 minus 10/8, 172.16/12, 192.168/16, 127/8, 169.254/16 and 100.64/10.
    const internet = "4256038912";
    expect(count(["0.0.0.0/0"])).toBe(internet);
    expect(count(["0.0.0.0/1", "128.0.0.0/1"])).toBe(internet);
    const sixteenths = Array.from({ length: 16 }, (_, i) => `${i * 16}.0.0.0/4`);
    expect(count(sixteenths)).toBe(internet);
    expect(tooWide(["0.0.0.0/1", "128.0.0.0/1"])).toEqual([
      ["ipv4", internet, ["0.0.0.0/1", "128.0.0.0/1"]],
    ]);
  });

  it("allows up to a /8 of public space in total by default, and counts overlaps once", () => {
    expect(tooWide(["11.0.0.0/8"])).toEqual([]);
    expect(tooWide(["11.0.0.0/9", "11.128.0.0/9"])).toEqual([]);
    expect(tooWide(["11.0.0.0/8", "11.0.0.0/9", "11.0.0.0/8", "11.1.0.0/16"])).toEqual([]);
    expect(tooWide(["11.0.0.0/8", "12.0.0.0/24"])).toEqual([
      ["ipv4", "16777472", ["11.0.0.0/8", "12.0.0.0/24"]],
    ]);
    // A stricter class.
    expect(tooWide(["203.0.113.0/24"], { maxIpv4Prefix: 24, maxIpv6Prefix: 48 })).toEqual([]);
    expect(tooWide(["198.51.100.0/23"], { maxIpv4Prefix: 24, maxIpv6Prefix: 48 })).toHaveLength(1);
  });

  it("does not count private ranges as public", () => {
    for (const range of NON_PUBLIC_RANGES.ipv4) expect(count([range])).toBe("0");
    expect(count(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"])).toBe("0");
    // 96.0.0.0/4 holds 100.64.0.0/10 (CGNAT): 2^28 - 2^22 public.
    expect(count(["96.0.0.0/4"])).toBe(String(2 ** 28 - 2 ** 22));
    expect(publicAddressCount(["fc00::/7", "fe80::/10", "::1/128"]).ipv6.toString()).toBe("0");
  });

  it("measures IPv6 apart, against a /32 by default", () => {
    expect(tooWide(["2001:db8::/32"])).toEqual([]);
    expect(tooWide(["2001:db8::/33", "2001:db8:8000::/33", "2001:db9::/48"])).toEqual([
      [
        "ipv6",
        (2n ** 96n + 2n ** 80n).toString(),
        ["2001:db8::/33", "2001:db8:8000::/33", "2001:db9::/48"],
      ],
    ]);
    expect(tooWide(["::/1", "8000::/1"])[0]?.[0]).toBe("ipv6");
    // An IPv6 range never makes IPv4 space wide, nor the other way round.
    expect(tooWide(["11.0.0.0/8", "2001:db8::/32"])).toEqual([]);
  });

  it("leaves texts that are no CIDR to the caller", () => {
    expect(publicCoverage(["campus", "0.0.0.0/0"]).unparsed).toEqual(["campus"]);
  });

  it("says how wide, in words a teacher can check", () => {
    const [wide] = publicCoverage(["0.0.0.0/1", "128.0.0.0/1"]).tooWide;
    expect(describeCoverage(wide)).toBe(
      "4,256,038,912 public IPv4 addresses in total, more than the 16,777,216 of a /8 this class allows",
    );
    const [v6] = publicCoverage(["::/0"]).tooWide;
    expect(describeCoverage(v6)).toBe(
      "about 2^127 public IPv6 addresses in total, more than the 2^96 of a /32 this class allows",
    );
  });

  // An independent count: /20 blocks, each asked of ipaddr.js's own range() (private,
  // carrierGradeNat, loopback, linkLocal are not public). Every non-public range is a /16 or
  // wider, so a /20 block is all public or all not; ranges here are /4 to /20.
  const NOT_PUBLIC = new Set(["private", "carrierGradeNat", "loopback", "linkLocal"]);
  const block = fc
    .tuple(fc.integer({ min: 0, max: 2 ** 12 - 1 }), fc.integer({ min: 12, max: 20 }))
    .map(([index, bits]) => {
      const start = Math.floor((index * 2 ** 20) / 2 ** (32 - bits)) * 2 ** (32 - bits);
      return `${[24, 16, 8, 0].map((s) => Math.floor(start / 2 ** s) % 256).join(".")}/${bits}`;
    });
  // Private ranges and their neighbours are a small share of the space: drawn on purpose too.
  const edges = fc.constantFrom(
    "10.0.0.0/12",
    "9.240.0.0/12",
    "100.64.0.0/12",
    "100.48.0.0/12",
    "100.112.0.0/12",
    "172.16.0.0/12",
    "127.0.0.0/12",
    "169.254.0.0/16",
    "192.168.0.0/16",
    "192.160.0.0/12",
    "96.0.0.0/4",
  );
  const range = fc.oneof(block, edges);

  function blockCount(cidrs: string[]): string {
    const blocks = new Set<number>();
    for (const text of cidrs) {
      const parsed = parseIpv4Cidr(text);
      if (!parsed.ok) throw new Error(`generator made ${text}`);
      const first = ipv4ToNumber(parsed.cidr.network) / 2 ** 12;
      for (let i = 0; i < 2 ** (20 - parsed.cidr.prefix); i += 1) blocks.add(first + i);
    }
    return String([...blocks].filter(isPublicBlock).length * 4096);
  }

  // A block's answer never changes: asked of ipaddr.js once, then remembered. (A /4 is 65,536
  // blocks; asking again each time one is drawn took most of this file's time.)
  const publicBlocks = new Map<number, boolean>();
  function isPublicBlock(b: number): boolean {
    let known = publicBlocks.get(b);
    if (known === undefined) {
      const addr = [24, 16, 8, 0].map((s) => Math.floor((b * 2 ** 12) / 2 ** s) % 256).join(".");
      known = !NOT_PUBLIC.has(ipaddr.IPv4.parse(addr).range());
      publicBlocks.set(b, known);
    }
    return known;
  }

  it("agrees with an independent count over random sets of ranges", () => {
    fc.assert(
      fc.property(fc.array(range, { minLength: 1, maxLength: 5 }), (cidrs) => {
        expect(count(cidrs)).toBe(blockCount(cidrs));
      }),
    );
  });

  it("does not care about order or repeats, and never shrinks when a range is added", () => {
    fc.assert(
      fc.property(fc.array(range, { minLength: 1, maxLength: 5 }), range, (cidrs, extra) => {
        expect(count([...cidrs].reverse())).toBe(count(cidrs));
        expect(count([...cidrs, ...cidrs])).toBe(count(cidrs));
        expect(Number(count([...cidrs, extra])) >= Number(count(cidrs))).toBe(true);
      }),
    );
  });
});
