/** Config checks for what the real cloud refuses (issue 22): duplicate CIDRs, image ids. */
import { parseLabConfig } from "../../infra/config/validate";

const problems = (raw: Record<string, string>) => {
  const result = parseLabConfig(raw, "alice");
  return result.ok ? [] : result.problems;
};

describe("cloud checks at preview", () => {
  it("refuses a CIDR listed twice (Neutron answers 409 to the second identical rule)", () => {
    expect(
      problems({
        allowedCidrs: JSON.stringify(["203.0.113.0/24", "198.51.100.7/32", "203.0.113.0/24"]),
      }),
    ).toEqual([
      {
        key: "allowedCidrs",
        reason: expect.stringMatching(
          /^lists 203\.0\.113\.0\/24 2 times: Neutron refuses a second identical security-group rule \(409 SecurityGroupRuleExists\).*keep one entry of it$/,
        ),
      },
    ]);
  });

  it("takes imageId as a Glance UUID and refuses anything else", () => {
    const ok = parseLabConfig(
      { allowedCidrs: '["203.0.113.0/24"]', imageId: "0b7f2a53-4a5e-4f59-9d2b-1c1f1f3d7a01" },
      "alice",
    );
    expect(ok.ok && ok.config.imageId).toBe("0b7f2a53-4a5e-4f59-9d2b-1c1f1f3d7a01");
    expect(problems({ allowedCidrs: '["203.0.113.0/24"]', imageId: "Ubuntu 22.04" })).toEqual([
      { key: "imageId", reason: expect.stringMatching(/must be a Glance image id \(a UUID/) },
    ]);
  });
});
