import fc from "fast-check";
import {
  chooseSwarmAddressPool,
  cidrsOverlap,
  ipv4ToNumber,
  parseIpv4Cidr,
  SWARM_POOL_CANDIDATES,
  usableHostCount,
} from "../../infra/config/cidr";

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
