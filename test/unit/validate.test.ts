import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { CONFIG_KEYS, readLabConfig } from "../../infra/config/config";
import { engineConfig, PROJECT_FILE } from "../../scripts/lib/engine-config";
import { stackConfigFromYaml } from "../../scripts/lib/stack-config";
import { dockerDataRoot } from "../../infra/nodes/cloudinit";
import { nodeSettings } from "../../infra/nodes/node-settings";
import { parseLabConfig, RawConfig } from "../../infra/config/validate";

const STACK = "alice";
const minimal: RawConfig = { allowedCidrs: '["203.0.113.0/24"]' };

function problemsOf(raw: RawConfig, stack = STACK): string[] {
  const result = parseLabConfig(raw, stack);
  if (result.ok)
    throw new Error(`expected problems, got a valid config for ${JSON.stringify(raw)}`);
  return result.problems.map((p) => `swarmlab:${p.key}: ${p.reason}`);
}

describe("parseLabConfig defaults", () => {
  it("fills every default from the issue and derives owner and pool", () => {
    const result = parseLabConfig(minimal, STACK);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toEqual({
      cloud: "openstack",
      localPortOffset: 0,
      owner: "alice",
      managers: 1,
      workers: 2,
      image: "Ubuntu 22.04",
      configDrive: false,
      sshUser: "ubuntu",
      flavor: "m1.small",
      managerFlavor: "m1.small",
      externalNetwork: "public",
      cidr: "10.42.0.0/24",
      dnsNameservers: [],
      allowedCidrs: ["203.0.113.0/24"],
      storageDriver: "overlay2",
      dockerVolumeFilesystem: "ext4",
      dockerSource: "docker-ce",
      daemonConfig: {},
      swarmAddressPool: "10.200.0.0/16",
      rotateJoinTokens: true,
      autolock: false,
      bootTimeoutSeconds: 900,
      registryImage: "registry:2",
      stacks: [{ name: "hostname", services: {} }],
      stacksDirs: [],
      stackExternals: { secrets: {}, networks: {}, nodeLabels: {} },
    });
    expect(result.warnings).toEqual([]);
    expect(Object.isFrozen(result.config)).toBe(true);
  });

  it('reads Pulumi.yaml\'s unset defaults ("" and 0) as not set', () => {
    const result = parseLabConfig(
      {
        ...minimal,
        owner: "",
        network: "",
        managerFlavor: "",
        mtu: "0",
        dockerVolumeSize: "0",
        confirmManagerRemoval: "",
      },
      STACK,
    );
    expect(result.ok && result.config).toMatchObject({ owner: "alice", managerFlavor: "m1.small" });
    expect(result.ok && "network" in result.config).toBe(false);
    expect(result.ok && "mtu" in result.config).toBe(false);
    expect(result.ok && "dockerVolumeSize" in result.config).toBe(false);
  });

  it("accepts a full 3+5 btrfs config on an existing network", () => {
    const result = parseLabConfig(
      {
        owner: "bob",
        managers: "3",
        workers: "5",
        managerFlavor: "m1.medium",
        network: "course-net",
        allowedCidrs: '["203.0.113.0/24","198.51.100.7/32"]',
        storageDriver: "btrfs",
        dockerVolumeSize: "20",
        dockerSource: "distro",
        mtu: "1450",
        daemonConfig: '{"log-driver":"journald"}',
        rotateJoinTokens: "false",
      },
      STACK,
    );
    expect(result.ok).toBe(true);
    expect(result.ok && result.config).toMatchObject({
      owner: "bob",
      managers: 3,
      workers: 5,
      flavor: "m1.small",
      managerFlavor: "m1.medium",
      network: "course-net",
      storageDriver: "btrfs",
      dockerVolumeSize: 20,
      mtu: 1450,
      daemonConfig: { "log-driver": "journald" },
      rotateJoinTokens: false,
    });
  });

  it("warns, but accepts, 0.0.0.0/0", () => {
    const result = parseLabConfig({ allowedCidrs: '["0.0.0.0/0"]' }, STACK);
    expect(result.ok).toBe(true);
    // What is opened to allowedCidrs (firewall-rules.ts ACCESS_PORT_RULES).
    expect(result.ok && result.warnings).toEqual([
      "allowedCidrs contains 0.0.0.0/0: 4,256,038,912 public IPv4 addresses in total, more " +
        "than the 16,777,216 of a /8 this class allows. SSH, ICMP, the registry, the Docker API " +
        "and the stacks' published ports are open that widely (they still need the stack's " +
        "key, password or client certificate), and the class policy pack refuses it " +
        "(swarmlab-no-wide-access); use your campus range",
    ]);
  });

  it("warns for the internet in pieces as for 0.0.0.0/0 (the policy pack's coverage measure)", () => {
    const split = parseLabConfig({ allowedCidrs: '["0.0.0.0/1","128.0.0.0/1"]' }, STACK);
    // (0.0.0.0/1 holds the swarm pool 10.200.0.0/16 too: that warning is the next test's.)
    const coverage = (result: typeof split) =>
      (result.ok ? result.warnings : []).filter((w) => w.includes("public IPv4 addresses"));
    expect(coverage(split)).toEqual([
      expect.stringMatching(
        /^allowedCidrs contains 0\.0\.0\.0\/1, 128\.0\.0\.0\/1: 4,256,038,912 public IPv4 addresses in total, more than the 16,777,216 of a \/8/,
      ),
    ]);
    // Only the public space counts, all ranges together: just over a /8 warns, a /8 does not.
    const over = parseLabConfig({ allowedCidrs: '["11.0.0.0/8","12.0.0.0/24"]' }, STACK);
    expect(over.ok && over.warnings).toEqual([
      expect.stringContaining("allowedCidrs contains 11.0.0.0/8, 12.0.0.0/24: 16,777,472 public"),
    ]);
    const campus = parseLabConfig(
      { allowedCidrs: '["11.0.0.0/8","172.16.0.0/12","192.168.0.0/16"]' },
      STACK,
    );
    expect(campus.ok && campus.warnings).toEqual([]);
  });

  it("keeps the swarm pool when allowedCidrs grows over it, and warns what that means", () => {
    // Issue 15: the pool is in the user-data; moving it replaced every server.
    const result = parseLabConfig({ allowedCidrs: '["203.0.113.0/24","10.0.0.0/8"]' }, STACK);
    expect(result.ok && result.config.swarmAddressPool).toBe("10.200.0.0/16");
    expect(result.ok && result.warnings).toEqual([
      "allowedCidrs 10.0.0.0/8 overlaps the swarm's overlay address pool 10.200.0.0/16: " +
        "containers on overlay networks cannot reach hosts outside the swarm whose addresses " +
        "are in 10.200.0.0/16 (SSH to the nodes is not affected). The pool follows the subnet " +
        "only, so this firewall key never rebuilds the cluster; if such hosts matter, move " +
        "swarmlab:cidr into 10.200.0.0/16 so swarmlab picks the next pool (that replaces " +
        "every server)",
    ]);
  });

  it("picks a swarm pool that avoids a subnet inside the first candidate", () => {
    const result = parseLabConfig({ ...minimal, cidr: "10.200.5.0/24" }, STACK);
    expect(result.ok && result.config.swarmAddressPool).toBe("172.29.0.0/16");
  });
});

// Each bad config fails with ALL of its problems, each naming the key, the value and the fix.
const badConfigs: [string, RawConfig, string[]][] = [
  [
    "even managers",
    { ...minimal, managers: "2" },
    [
      "swarmlab:managers: is 2: a swarm needs an odd number of managers (1, 3, 5 or 7) to keep quorum",
    ],
  ],
  [
    "0 managers",
    { ...minimal, managers: "0" },
    ["swarmlab:managers: is 0: a swarm needs 1, 3, 5 or 7 managers"],
  ],
  [
    "9 managers",
    { ...minimal, managers: "9" },
    ["swarmlab:managers: is 9: a swarm needs 1, 3, 5 or 7 managers"],
  ],
  [
    "negative workers",
    { ...minimal, workers: "-1" },
    ["swarmlab:workers: is -1: set a number of workers from 0 to 50"],
  ],
  [
    "fractional workers",
    { ...minimal, workers: "2.5" },
    ['swarmlab:workers: is "2.5": it must be a whole number'],
  ],
  [
    "unknown storage driver",
    { ...minimal, storageDriver: "aufs" },
    ['swarmlab:storageDriver: is "aufs": choose one of overlay2, btrfs, zfs'],
  ],
  [
    "btrfs without volume size",
    { ...minimal, storageDriver: "btrfs" },
    ["swarmlab:dockerVolumeSize: is not set but storageDriver is btrfs"],
  ],
  [
    "volume too small",
    { ...minimal, storageDriver: "zfs", dockerVolumeSize: "2" },
    ["swarmlab:dockerVolumeSize: is 2: a Docker volume must be 5 to 1000 GiB"],
  ],
  [
    "zfs on Debian",
    { ...minimal, storageDriver: "zfs", dockerVolumeSize: "10", image: "Debian 12" },
    ['swarmlab:storageDriver: is zfs but image "Debian 12" is not Ubuntu'],
  ],
  [
    "malformed CIDR",
    { allowedCidrs: '["10.0.0/8"]' },
    ['swarmlab:allowedCidrs: [0] is "10.0.0/8": it is not an IPv4 CIDR like 10.42.0.0/24'],
  ],
  ["host bits set", { allowedCidrs: '["192.0.2.7/24"]' }, ["the network is 192.0.2.0/24"]],
  ["bare address", { allowedCidrs: '["192.0.2.7"]' }, ["for one address write 192.0.2.7/32"]],
  [
    "missing allowedCidrs",
    {},
    [
      "swarmlab:allowedCidrs: is not set: list who may reach the nodes (SSH, ICMP, the registry and the Docker API), " +
        "including the machine running pulumi",
    ],
  ],
  ["empty allowedCidrs", { allowedCidrs: "[]" }, ["swarmlab:allowedCidrs: is an empty list"]],
  ["allowedCidrs not a list", { allowedCidrs: "10.0.0.0/8" }, ["it must be a list"]],
  [
    "owned daemonConfig key",
    { ...minimal, daemonConfig: '{"storage-driver":"vfs","hosts":["tcp://0.0.0.0:2375"]}' },
    ['sets "hosts", which swarmlab owns', 'sets "storage-driver", which swarmlab owns'],
  ],
  [
    "live-restore in daemonConfig",
    { ...minimal, daemonConfig: '{"live-restore":true}' },
    [
      'swarmlab:daemonConfig: sets "live-restore", which swarm mode forbids: live-restore is ' +
        "incompatible with swarm mode and dockerd refuses to start with both; remove it",
    ],
  ],
  [
    "owned daemonConfig key with its own fix",
    { ...minimal, daemonConfig: '{"mtu":1400}' },
    [
      'swarmlab:daemonConfig: sets "mtu", which swarmlab owns: set from the network MTU so ' +
        "overlay traffic fits the VXLAN tenant network; set swarmlab:mtu instead",
    ],
  ],
  [
    "unknown daemonConfig key",
    { ...minimal, daemonConfig: '{"log-drvier":"journald"}' },
    ['sets "log-drvier", which is not a daemon.json key dockerd accepts'],
  ],
  [
    "daemonConfig not an object",
    { ...minimal, daemonConfig: '["x"]' },
    ["it must be an object of daemon.json keys"],
  ],
  [
    "relative data-root",
    { ...minimal, daemonConfig: '{"data-root":"docker"}' },
    ['sets "data-root" to "docker": it must be an absolute path'],
  ],
  [
    "data-root with a trailing slash",
    { ...minimal, daemonConfig: '{"data-root":"/var/lib/docker/"}' },
    [
      'swarmlab:daemonConfig: sets "data-root" to "/var/lib/docker/": it must be a normalised ' +
        "path (no //, . or .. parts, no trailing /): write /var/lib/docker",
    ],
  ],
  [
    "data-root with .. and //",
    { ...minimal, daemonConfig: '{"data-root":"/srv//x/../docker"}' },
    ["write /srv/docker"],
  ],
  [
    "data-root on /",
    { ...minimal, daemonConfig: '{"data-root":"/"}' },
    [
      'swarmlab:daemonConfig: sets "data-root" to "/": it is the root filesystem; use a ' +
        "directory of its own such as /srv/docker",
    ],
  ],
  [
    "data-root under /etc",
    { ...minimal, daemonConfig: '{"data-root":"/etc/docker/data"}' },
    [
      'swarmlab:daemonConfig: sets "data-root" to "/etc/docker/data": it is under /etc, which ' +
        "belongs to the system; use a directory such as /srv/docker",
    ],
  ],
  [
    "data-root with a character the node scripts cannot take",
    { ...minimal, daemonConfig: '{"data-root":"/srv/my docker"}' },
    [
      'swarmlab:daemonConfig: sets "data-root" to "/srv/my docker": it must be an absolute ' +
        "path of letters, digits and . _ - / such as /srv/docker",
    ],
  ],
  [
    "invalid stack name as owner",
    { ...minimal },
    ['swarmlab:owner: (from the stack name "Class_2026.Alice") is "class_2026.alice"'],
  ],
  [
    "subnet too small",
    { ...minimal, cidr: "10.42.0.0/30", workers: "3" },
    ["it has room for 0 nodes but the cluster has 4"],
  ],
  ["bad mtu", { ...minimal, mtu: "100" }, ["swarmlab:mtu: is 100: set the tenant network's MTU"]],
  [
    "bad sshUser",
    { ...minimal, sshUser: "Ubuntu User" },
    ['swarmlab:sshUser: is "Ubuntu User": it must be a Linux user name'],
  ],
  [
    "bad nameserver",
    { ...minimal, dnsNameservers: '["dns.example"]' },
    ['swarmlab:dnsNameservers: [0] is "dns.example"'],
  ],
  [
    // What the engine hands over for `pulumi config set swarmlab:dnsNameservers 9.9.9.9`: the
    // plain string, not a JSON list. The fix must name the key with its namespace, or it sets
    // a key of the project's own namespace that swarmlab never reads.
    "a list given as a plain value",
    { ...minimal, dnsNameservers: "9.9.9.9" },
    [
      "swarmlab:dnsNameservers: is \"9.9.9.9\": it must be a list, e.g. `pulumi config set --path 'swarmlab:dnsNameservers[0]' VALUE`",
    ],
  ],
  [
    "dnsNameservers with an existing network",
    { ...minimal, network: "course-net", dnsNameservers: '["9.9.9.9"]' },
    [
      'swarmlab:dnsNameservers: is ["9.9.9.9"] but network is set: dnsNameservers only applies ' +
        "to the subnet swarmlab creates; set DNS servers on your network's subnet and remove " +
        "dnsNameservers",
    ],
  ],
  [
    "bad boolean",
    { ...minimal, rotateJoinTokens: "yes" },
    ['swarmlab:rotateJoinTokens: is "yes": it must be true or false'],
  ],
  [
    "bad confirmation",
    { ...minimal, confirmManagerRemoval: "3 to 1" },
    ['swarmlab:confirmManagerRemoval: is "3 to 1"'],
  ],
  [
    "overlay fs with btrfs",
    { ...minimal, storageDriver: "btrfs", dockerVolumeSize: "10", dockerVolumeFilesystem: "xfs" },
    ["remove dockerVolumeFilesystem"],
  ],
];

describe.each(badConfigs)("parseLabConfig refuses %s", (_label, raw, expected) => {
  it("names every problem with its fix", () => {
    const stack = _label === "invalid stack name as owner" ? "Class_2026.Alice" : STACK;
    const problems = problemsOf(raw, stack);
    for (const fragment of expected) {
      // arrayContaining prints the problems received when one is missing.
      expect(problems).toEqual(expect.arrayContaining([expect.stringContaining(fragment)]));
    }
    expect(problems).toHaveLength(expected.length);
  });
});

// The renderer applies the validator's rule: whatever validation accepts, the renderer takes.
it.each(["/srv/docker", "/var/lib/docker", "/data/docker-2"])(
  "accepts data-root %s, and the renderer takes it",
  (dataRoot) => {
    const result = parseLabConfig(
      { ...minimal, daemonConfig: JSON.stringify({ "data-root": dataRoot }) },
      STACK,
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(dockerDataRoot(nodeSettings(result.config, 1450))).toBe(dataRoot);
  },
);

it("reports every problem of a config at once", () => {
  const problems = problemsOf({
    managers: "4",
    workers: "60",
    storageDriver: "zfs",
    allowedCidrs: '["300.1.1.1/8","10.0.0.0/8"]',
    daemonConfig: '{"mtu":1400}',
  });
  expect(problems.map((p) => p.split(":")[1])).toEqual([
    "managers",
    "workers",
    "allowedCidrs",
    "dockerVolumeSize",
    "daemonConfig",
  ]);
});

// Issue 21, item 5: Pulumi hands the program every key of the stack and says nothing of those it
// never reads, so a misspelt key silently kept the default (swarmlab:storagedriver: btrfs
// deployed overlay2). The program refuses them at preview, naming the nearest known key.
describe("keys of the swarmlab namespace that swarmlab does not know", () => {
  const btrfs: RawConfig = { ...minimal, dockerVolumeSize: "20" };

  it.each([
    ["storagedriver", "storageDriver"],
    ["worker", "workers"],
    ["allowedCidr", "allowedCidrs"],
    ["bootTimeout", "bootTimeoutSeconds"],
    ["stackOverride", "stackOverrides"],
  ])("refuses swarmlab:%s, naming swarmlab:%s", (typo, nearest) => {
    const problems = problemsOf({ ...btrfs, [typo]: "btrfs" } as RawConfig);
    expect(problems).toEqual([
      `swarmlab:${typo}: is not a swarmlab setting, so it would be ignored; did you mean ` +
        `swarmlab:${nearest}? Move the value there: \`pulumi config rm swarmlab:${typo}\`, then ` +
        `\`pulumi config set swarmlab:${nearest} VALUE\` (or rename the key in Pulumi.<stack>.yaml)`,
    ]);
  });

  it("names no key when none is near, and lists the settings", () => {
    // Not "colour" any more: that is one edit from "cloud".
    const [problem] = problemsOf({ ...minimal, banana: "blue" } as RawConfig);
    expect(problem).toMatch(
      /^swarmlab:banana: is not a swarmlab setting, so it would be ignored; remove it \(`pulumi config rm swarmlab:banana`\)\. The settings are owner, managers, .*stackOverrides, stacksDir, stackExternals, cloud, localImage, localPortOffset \(see Pulumi\.yaml\)$/,
    );
  });

  it("lists them first, with every other problem", () => {
    const problems = problemsOf({ ...minimal, storagedriver: "btrfs", workers: "99" } as RawConfig);
    expect(problems.map((p) => p.split(":")[1])).toEqual(["storagedriver", "workers"]);
  });

  it("allows daemonConfig and stackOverrides, which Pulumi.yaml does not declare", () => {
    const result = parseLabConfig(
      { ...minimal, daemonConfig: '{"debug":true}', stackOverrides: "{}" },
      STACK,
    );
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it("holds the keys Pulumi.yaml declares, and only daemonConfig and stackOverrides beside", () => {
    const project = parse(fs.readFileSync(PROJECT_FILE, "utf8")) as { config: object };
    const declared = Object.keys(project.config);
    expect([...CONFIG_KEYS].filter((key) => !declared.includes(key))).toEqual([
      "daemonConfig",
      "stackOverrides",
    ]);
    expect(declared.filter((key) => !(CONFIG_KEYS as readonly string[]).includes(key))).toEqual([]);
  });

  it("reach the check from a stack file, through the engine's merge (offline render, class tool)", () => {
    const stack = stackConfigFromYaml(
      "config:\n  swarmlab:allowedCidrs: [203.0.113.0/24]\n  swarmlab:storagedriver: btrfs\n",
      "Pulumi.alice.yaml",
    );
    const result = parseLabConfig(engineConfig(STACK, stack), STACK);
    expect(result.ok ? [] : result.problems.map((p) => p.key)).toEqual(["storagedriver"]);
  });

  it("reach it in the program: readLabConfig reads every key of pulumi.runtime.allConfig()", () => {
    // setAllConfig is how the engine's config reaches the SDK in a test (FACTS.md); the
    // language host sets the same map from PULUMI_CONFIG (@pulumi/pulumi runtime/config.js).
    pulumi.runtime.setAllConfig({
      "swarmlab:allowedCidrs": '["203.0.113.0/24"]',
      "swarmlab:worker": "3",
      "openstack:cloud": "campus",
    });
    expect(() => readLabConfig(STACK)).toThrow(
      /swarmlab:worker: is not a swarmlab setting, so it would be ignored; did you mean swarmlab:workers\?/,
    );
    pulumi.runtime.setAllConfig({ "swarmlab:allowedCidrs": '["203.0.113.0/24"]' });
    expect(readLabConfig(STACK).workers).toBe(2);
  });
});

describe("zfs and the image (issue 26, item 13)", () => {
  const zfs = {
    allowedCidrs: '["203.0.113.0/24"]',
    storageDriver: "zfs",
    dockerVolumeSize: "10",
  };
  const warningsOf = (extra: Record<string, string>) => {
    const parsed = parseLabConfig({ ...zfs, ...extra }, "alice");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    return parsed.warnings.filter((w) => w.startsWith("storageDriver is zfs"));
  };

  it("takes an Ubuntu image by name without a word", () => {
    expect(warningsOf({ image: "Ubuntu 24.04 LTS" })).toEqual([]);
  });

  it("only warns for a name that says no distribution: a campus's own name is not refused", () => {
    expect(warningsOf({ image: "campus-noble-2026" })).toEqual([
      expect.stringMatching(
        /^storageDriver is zfs and image "campus-noble-2026" does not say Ubuntu: .*use storageDriver btrfs then$/,
      ),
    ]);
  });

  it("only warns for an image chosen by id, whatever the name says", () => {
    expect(
      warningsOf({ image: "Ubuntu 22.04", imageId: "9b3c2a64-1d5e-4f7a-8c11-3e2f0a6b7d90" }),
    ).toEqual([expect.stringContaining('imageId "9b3c2a64-1d5e-4f7a-8c11-3e2f0a6b7d90"')]);
  });
});
