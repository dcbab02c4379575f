import { parseLabConfig } from "../../infra/config/validate";
import { checkStackFile } from "../../scripts/lib/check-stack-file";
import { names, runProgram, swarmStdout } from "./support/program";
import { checkClassQuota, NewCluster } from "../../scripts/class/quota-preflight";
import { clusterNeeds, ProjectQuota, refusalText, shortfalls } from "../../scripts/class/quota";
import { novaOwnLimits, QuotaSource } from "../../scripts/class/quota-source";

const FLAVORS = { "m1.small": { vcpus: 1, ramMiB: 2048 }, "m1.medium": { vcpus: 2, ramMiB: 4096 } };

/** A Pulumi.<stack>.yaml holding these keys, as `pulumi config set` writes them. */
function stackFileYaml(keys: Record<string, string>): string {
  const lines = Object.entries(keys).map(
    ([key, value]) =>
      `  swarmlab:${key}: ${JSON.stringify(value.startsWith("[") || value.startsWith("{") ? JSON.parse(value) : value)}`,
  );
  return `config:\n${lines.join("\n")}\n`;
}

function config(extra: Record<string, string> = {}) {
  const parsed = parseLabConfig(
    { allowedCidrs: '["203.0.113.0/24","198.51.100.0/24"]', ...extra },
    "alice",
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}

describe("clusterNeeds against the program's own resources (issue 26, item 4)", () => {
  // The program under mocks (support/program.ts) registers exactly the resources a real `up`
  // would create. Neutron adds two default egress rules (IPv4, IPv6) to every new security
  // group (Neutron's API reference, "Security groups": "default egress rules"); nothing else
  // the quota counts is created behind the program's back.
  const NEUTRON_DEFAULT_RULES_PER_GROUP = 2;

  const twoCidrs = { allowedCidrs: '["203.0.113.0/24","198.51.100.0/24"]', dockerVolumeSize: "10" };
  it.each([
    ["the default stack", { ...twoCidrs, stacks: '["hostname"]' }],
    [
      "every built-in stack, one published by the teacher",
      {
        ...twoCidrs,
        stacks: '["hostname","counter","proxy","visualizer","monitoring","mediawiki"]',
        stackOverrides: '{"visualizer": {"visualizer": {"ports": {"8080": 8082}}}}',
      },
    ],
  ])("counts the servers, floating IPs, groups and rules of %s", async (_, keys) => {
    const run = await runProgram(keys, "alice", swarmStdout(names("alice", 1, 2)));
    if (run.error !== undefined) throw run.error;
    const checked = checkStackFile(stackFileYaml(keys), "Pulumi.alice.yaml", "alice");
    if (!checked.ok) throw new Error(checked.problems.join("\n"));
    const groups = run.ofType("openstack:networking/secGroup:SecGroup").length;
    const count = (type: string) => run.ofType(type).length;
    expect(clusterNeeds(checked.config, FLAVORS)).toMatchObject({
      instances: count("openstack:compute/instance:Instance"),
      volumes: count("openstack:blockstorage/volume:Volume"),
      floatingIps: count("openstack:networking/floatingIp:FloatingIp"),
      securityGroups: groups,
      securityGroupRules:
        count("openstack:networking/secGroupRule:SecGroupRule") +
        groups * NEUTRON_DEFAULT_RULES_PER_GROUP,
      networks: count("openstack:networking/network:Network"),
      routers: count("openstack:networking/router:Router"),
    });
  });
});

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
      // 2 x 2 Neutron default egress rules + 5 swarm + 2 lab service rules + SSH between
      // members + (4 access rules + hostname's published 8080) x 2 CIDRs
      securityGroupRules: 22,
      networks: 1,
      subnets: 1,
      routers: 1,
      ports: 5,
    });
  });

  it("counts a boot volume per server with bootVolumeSize", () => {
    expect(
      clusterNeeds(config({ bootVolumeSize: "20", dockerVolumeSize: "10" }), FLAVORS),
    ).toMatchObject({ volumes: 6, volumeGiB: 3 * 20 + 3 * 10 });
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
  // The project each token is scoped to: by cloud, unless `resolvesTo` says otherwise.
  const fakeSource = (
    quota: ProjectQuota,
    lookups: string[] = [],
    resolvesTo: Record<string, string> = {},
  ): QuotaSource => ({
    lookup: async (project) => {
      lookups.push(JSON.stringify(project));
      const name = resolvesTo[JSON.stringify(project)] ?? String(project.cloud);
      return { project: { id: `${name}-id`, name }, quota, flavors: FLAVORS };
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
      "OpenStack project campus (campus-id) (cloud campus) has no room for 30 new cluster(s) (s1, s2, s3,",
    );
    expect(refusal).toContain("  - vCPUs: needs 90, 20 used of a limit of 100, 80 left\n");
    expect(refusal).not.toContain("(cloud other)");
  });

  it("sums clusters whose settings differ but whose tokens land in the same project", async () => {
    // E.g. a tenantName beside `cloud`, which the provider ignores (gophercloud/utils
    // terraform/auth/config.go: with Cloud set only clouds.yaml is read).
    const lookups: string[] = [];
    const refusal = await checkClassQuota(
      [...clusters(20), ...clusters(20, { cloud: "campus", tenantName: "own" } as never)],
      fakeSource({ vcpus: { limit: 100, used: 20 } }, lookups, {
        '{"cloud":"campus","tenantName":"own"}': "campus",
      }),
    );
    expect(lookups).toHaveLength(2);
    expect(refusal).toContain(
      "OpenStack project campus (campus-id) (cloud campus) (cloud campus, tenantName own) has no room for 40 new cluster(s)",
    );
    expect(refusal).toContain("  - vCPUs: needs 120, 20 used of a limit of 100, 80 left\n");
  });

  it("lets a class through that fits", async () => {
    expect(
      await checkClassQuota(clusters(26), fakeSource({ vcpus: { limit: 100, used: 20 } })),
    ).toBeUndefined();
  });

  it("refuses a flavor the project does not have", async () => {
    const source: QuotaSource = {
      lookup: async () => ({ project: { id: "p", name: "p" }, quota: {}, flavors: {} }),
    };
    expect(await checkClassQuota(clusters(1), source)).toBe(
      "OpenStack project (cloud campus) has no flavor m1.small; check swarmlab:flavor and swarmlab:managerFlavor.",
    );
  });
});

describe("Nova's limits", () => {
  it("are read for the token's own project, without tenant_id (admin-only policy otherwise)", async () => {
    // Nova api/openstack/compute/limits.py: a `tenant_id` query is checked against
    // os_compute_api:limits:other_project (admin) even when it names the caller's project.
    const requests: { url: string; token: string }[] = [];
    const limits = await novaOwnLimits(
      "https://nova.example.org/v2.1",
      "tok",
      async (url, token) => {
        requests.push({ url, token });
        return {
          limits: {
            absolute: {
              maxTotalInstances: 40,
              totalInstancesUsed: 3,
              maxTotalCores: 80,
              totalCoresUsed: 6,
              maxTotalRAMSize: 163840,
              totalRAMUsed: 12288,
            },
          },
        };
      },
    );
    expect(requests).toEqual([{ url: "https://nova.example.org/v2.1/limits", token: "tok" }]);
    expect(new URL(requests[0].url).searchParams.has("tenant_id")).toBe(false);
    expect(limits).toEqual({
      instances: { limit: 40, used: 3 },
      vcpus: { limit: 80, used: 6 },
      ramMiB: { limit: 163840, used: 12288 },
    });
  });
});
