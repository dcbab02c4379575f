/** Config checks for what the real cloud refuses (issue 22): duplicate CIDRs, image ids. */
import { parseLabConfig } from "../../infra/config/validate";
import { parseVolumeSize, volumeSizeProblem } from "../../infra/nodes/volume-size";

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

describe("a Docker volume size change on a live cluster", () => {
  // terraform-provider-openstack v1.54.1 blockstorage_volume_v3.go:316: an in-use volume is
  // refused without enable_online_resize; Cinder's extend API refuses a smaller size.
  it("is refused at preview, both ways, with the size to set back", () => {
    expect(volumeSizeProblem(20, 10)?.reason).toMatch(
      /^is 10 but the cluster's Docker volumes have 20 GiB: Cinder never shrinks a volume\. Set it back to 20;/,
    );
    expect(volumeSizeProblem(20, 40)?.reason).toMatch(
      /^is 40 but the cluster's Docker volumes have 20 GiB: the nodes' volumes are attached/,
    );
  });

  it("is no problem on a first deployment, unchanged, or when volumes are added or removed", () => {
    expect(volumeSizeProblem(undefined, 20)).toBeUndefined();
    expect(volumeSizeProblem(20, 20)).toBeUndefined();
    expect(volumeSizeProblem(20, undefined)).toBeUndefined();
    expect(parseVolumeSize(0)).toBeUndefined();
    expect(parseVolumeSize(20)).toBe(20);
  });
});

describe("bootVolumeSize", () => {
  it("takes 10 to 1000 GiB, 0 (Pulumi.yaml's default) meaning none", () => {
    const parsed = (bootVolumeSize: string) =>
      parseLabConfig({ allowedCidrs: '["203.0.113.0/24"]', bootVolumeSize }, "alice");
    const ok = parsed("20");
    expect(ok.ok && ok.config.bootVolumeSize).toBe(20);
    const none = parsed("0");
    expect(none.ok && none.config.bootVolumeSize).toBeUndefined();
    expect(problems({ allowedCidrs: '["203.0.113.0/24"]', bootVolumeSize: "5" })).toEqual([
      {
        key: "bootVolumeSize",
        reason: expect.stringMatching(/^is 5: a boot volume must be 10 to 1000 GiB/),
      },
    ]);
  });
});
