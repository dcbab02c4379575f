import { parseLabConfig } from "../../infra/config/validate";
import { checkClassQuota, NewCluster } from "../../scripts/class/quota-preflight";
import { clusterNeeds, ProjectQuota, refusalText, shortfalls } from "../../scripts/class/quota";
import type { QuotaSource } from "../../scripts/class/quota-source";

const FLAVORS = { "m1.small": { vcpus: 1, ramMiB: 2048 }, "m1.medium": { vcpus: 2, ramMiB: 4096 } };

function config(extra: Record<string, string> = {}) {
  const parsed = parseLabConfig(
    { allowedCidrs: '["203.0.113.0/24","198.51.100.0/24"]', ...extra },
    "alice",
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}

describe("clusterNeeds", () => {
  it("counts what infra/ creates for a default cluster", () => {
    expect(clusterNeeds(config(), FLAVORS)).toEqual({
      instances: 3,
      vcpus: 3,
      ramMiB: 6144,
      volumes: 0,
      volumeGiB: 0,
      floatingIps: 1,
      securityGroups: 2,
      // 2 x 2 Neutron default egress rules + 5 swarm + 2 lab service rules + 4 access rules x 2 CIDRs
      securityGroupRules: 19,
      networks: 1,
      subnets: 1,
      routers: 1,
      ports: 5,
    });
  });

  it("counts manager flavors, volumes and an existing network", () => {
    const needs = clusterNeeds(
      config({
        managers: "3",
        workers: "4",
        managerFlavor: "m1.medium",
        dockerVolumeSize: "20",
        network: "shared",
      }),
      FLAVORS,
    );
    expect(needs).toMatchObject({
      instances: 7,
      vcpus: 3 * 2 + 4 * 1,
      ramMiB: 3 * 4096 + 4 * 2048,
      volumes: 7,
      volumeGiB: 140,
      floatingIps: 3,
      networks: 0,
      routers: 0,
      ports: 7,
    });
  });
});

describe("shortfalls", () => {
  const quota: ProjectQuota = {
    instances: { limit: 100, used: 10 },
    vcpus: { limit: 50, used: 20 },
    floatingIps: { limit: 20, used: 12 },
    routers: { limit: -1, used: 40 },
    networks: { limit: 10 },
  };

  it("finds what does not fit, skipping unlimited quotas", () => {
    const needs = {
      ...clusterNeeds(config(), FLAVORS),
      instances: 90,
      vcpus: 31,
      floatingIps: 8,
      routers: 30,
      networks: 11,
    };
    expect(shortfalls(needs, quota)).toEqual([
      { resource: "vcpus", needed: 31, used: 20, limit: 50 },
      { resource: "networks", needed: 11, limit: 10 },
    ]);
  });

  it("says the resource and the numbers in the refusal", () => {
    expect(
      refusalText(
        "(cloud campus)",
        ["alice", "bob"],
        [
          { resource: "floatingIps", needed: 30, used: 12, limit: 20 },
          { resource: "networks", needed: 11, limit: 10 },
        ],
      ),
    ).toBe(
      [
        "OpenStack project (cloud campus) has no room for 2 new cluster(s) (alice, bob); nothing was created:",
        "  - floating IPs: needs 30, 12 used of a limit of 20, 8 left",
        "  - networks: needs 11, usage not reported of a limit of 10",
        "Ask for a larger quota, use smaller flavors or fewer workers, bring up part of the class with --only, or skip this check with --skip-quota.",
      ].join("\n"),
    );
  });
});

describe("checkClassQuota", () => {
  const fakeSource = (quota: ProjectQuota, lookups: string[] = []): QuotaSource => ({
    lookup: async (project) => {
      lookups.push(JSON.stringify(project));
      return { quota, flavors: FLAVORS };
    },
  });
  const clusters = (n: number, project = { cloud: "campus" }): NewCluster[] =>
    Array.from({ length: n }, (_, i) => ({ id: `s${i + 1}`, project, config: config() }));

  it("sums the class per project and refuses with the numbers when it does not fit", async () => {
    const lookups: string[] = [];
    const refusal = await checkClassQuota(
      [...clusters(30), ...clusters(1, { cloud: "other" })],
      fakeSource({ vcpus: { limit: 100, used: 20 }, instances: { limit: 200, used: 0 } }, lookups),
    );
    expect(lookups).toEqual(['{"cloud":"campus"}', '{"cloud":"other"}']);
    expect(refusal).toContain(
      "OpenStack project (cloud campus) has no room for 30 new cluster(s) (s1, s2, s3,",
    );
    expect(refusal).toContain("  - vCPUs: needs 90, 20 used of a limit of 100, 80 left\n");
    expect(refusal).not.toContain("(cloud other)");
  });

  it("lets a class through that fits", async () => {
    expect(
      await checkClassQuota(clusters(26), fakeSource({ vcpus: { limit: 100, used: 20 } })),
    ).toBeUndefined();
  });

  it("refuses a flavor the project does not have", async () => {
    const source: QuotaSource = { lookup: async () => ({ quota: {}, flavors: {} }) };
    expect(await checkClassQuota(clusters(1), source)).toBe(
      "OpenStack project (cloud campus) has no flavor m1.small; check swarmlab:flavor and swarmlab:managerFlavor.",
    );
  });
});
