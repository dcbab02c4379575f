/**
 * The class policy pack: each rule fails on a bad resource with a message that says how to fix the
 * stack, and the whole pack passes on the program's own resources (run under mocks) with the
 * default config and with the teacher's policy/config.json. The checks are pure functions; the
 * policies are called the way the policy engine calls them (type, props, getConfig).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type {
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import Ajv from "ajv";
import {
  checkFlavor,
  checkNodeCount,
  checkOwner,
  checkPortCoverage,
  DEFAULTS,
  policies,
  RULES,
  SECURITY_RULE,
  SERVER,
} from "../../policy/rules";
import { UNKNOWN } from "../../policy/exposure";
import { MOCK_TOKENS, RecordedResource, runProgram } from "./support/program";

const TEACHER_CONFIG = JSON.parse(
  fs.readFileSync(path.join(__dirname, "..", "..", "policy", "config.json"), "utf8"),
) as Record<string, object>;

const SECRET_KEY = "4dabf18193072939515e22adb298388d";

/** Secrets reach policies unwrapped: the policy SDK deserialises them to plain values. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (SECRET_KEY in record) return plain(record.value);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function resourceArgs(
  type: string,
  name: string,
  props: Record<string, unknown>,
  config: object,
): ResourceValidationArgs {
  return {
    type,
    name,
    props,
    urn: urnOf(type, name),
    opts: {} as ResourceValidationArgs["opts"],
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => config as T,
    notApplicable: () => {
      throw new Error("not applicable");
    },
  };
}

const urnOf = (type: string, name: string) => `urn:pulumi:alice::swarmlab::${type}::${name}`;

/** Every violation the pack reports for these resources, as `<rule>: <message>`. */
async function violations(
  resources: readonly { type: string; name: string; props: Record<string, unknown> }[],
  config: Record<string, object> = {},
  urns: (string | undefined)[] = [],
): Promise<string[]> {
  const found: string[] = [];
  for (const policy of policies) {
    const settings = config[policy.name] ?? {};
    const reportFor = (message: string, urn?: string) => {
      found.push(`${policy.name}: ${message}`);
      urns.push(urn);
    };
    if ("validateResource" in policy) {
      const validations = [(policy as ResourceValidationPolicy).validateResource ?? []].flat();
      for (const r of resources) {
        for (const validate of validations) {
          await validate(resourceArgs(r.type, r.name, r.props, settings), reportFor);
        }
      }
    } else {
      const args: StackValidationArgs = {
        resources: resources.map(
          (r) =>
            ({
              type: r.type,
              name: r.name,
              props: r.props,
              urn: urnOf(r.type, r.name),
            }) as PolicyResource,
        ),
        getConfig: <T extends object>() => settings as T,
        stackTags: new Map(),
        notApplicable: () => {
          throw new Error("not applicable");
        },
      };
      await (policy as StackValidationPolicy).validateStack(args, reportFor);
    }
  }
  return found;
}

async function programResources(config: Record<string, string> = {}) {
  const run = await runProgram(
    { allowedCidrs: JSON.stringify(["203.0.113.0/24"]), ...config },
    "alice",
    {
      "-tokens": () => JSON.stringify({ ...MOCK_TOKENS, joinAddr: "10.42.0.10:2377" }),
      "-check": () => "[]",
    },
  );
  if (run.error !== undefined) throw run.error;
  return run.resources.map((r: RecordedResource) => ({
    type: r.type,
    name: r.name,
    props: plain(r.inputs) as Record<string, unknown>,
  }));
}

const server = (props: Record<string, unknown> = {}) => ({
  name: "alice-worker-0",
  flavorName: "m1.small",
  tags: ["swarmlab", "swarmlab-owner=alice"],
  metadata: { owner: "alice", swarm_role: "worker" },
  ...props,
});

const rule = (props: Record<string, unknown>) => ({
  direction: "ingress",
  ethertype: "IPv4",
  protocol: "tcp",
  ...props,
});

describe("the pack on the program's own resources", () => {
  let resources: Awaited<ReturnType<typeof programResources>>;

  beforeAll(async () => {
    resources = await programResources({ managers: "3", workers: "4" });
  });

  it("finds servers and security group rules to check", () => {
    expect(resources.filter((r) => r.type === SERVER)).toHaveLength(7);
    expect(resources.filter((r) => r.type === SECURITY_RULE).length).toBeGreaterThan(5);
  });

  it("passes with the default config", async () => {
    expect(await violations(resources)).toEqual([]);
  });

  it("passes with the teacher's policy/config.json", async () => {
    expect(await violations(resources, TEACHER_CONFIG)).toEqual([]);
  });

  it("fails a class that allows fewer servers or smaller flavors, saying how to fix it", async () => {
    const found = await violations(resources, {
      [RULES.nodes]: { maxNodes: 5 },
      [RULES.flavor]: { largestFlavor: "m1.tiny" },
    });
    expect(found).toContainEqual(
      expect.stringMatching(
        /^swarmlab-max-nodes: this stack has 7 servers .* at most 5 per student: lower swarmlab:workers/,
      ),
    );
    expect(found.filter((v) => v.startsWith(RULES.flavor))).toHaveLength(7);
    expect(found).toContainEqual(
      "swarmlab-largest-flavor: alice-manager-0 uses flavor m1.small; this class allows m1.tiny " +
        "(largest m1.tiny): set swarmlab:flavor (workers) and swarmlab:managerFlavor (managers) in " +
        "Pulumi.<stack>.yaml to one of them, e.g. `pulumi config set swarmlab:flavor m1.tiny`.",
    );
  });

  it("fails a stack that opens SSH, the registry and the Docker API to everyone", async () => {
    // The program warns about 0.0.0.0/0 (validate.ts); that warning is not under test here.
    jest.spyOn(console, "warn").mockImplementation(() => undefined);
    const open = await programResources({ allowedCidrs: JSON.stringify(["0.0.0.0/0"]) });
    // No swarm port is opened to allowedCidrs. The Docker API (2376) is refused by its own rule,
    // and every port opened from outside (22, 2376, 5000, the default hostname stack's 8080) by
    // the coverage rule; ICMP has no port. 4,256,038,912 = 2^32 minus the private ranges.
    const wide = (port: number, rule: string) =>
      expect.stringMatching(
        new RegExp(
          `^swarmlab-no-wide-access: security group rule alice-firewall-access-${rule}-0\\.0\\.0\\.0-0 ` +
            `opens access port ${port} \\(tcp\\) to 0\\.0\\.0\\.0/0: 4,256,038,912 public IPv4 addresses`,
        ),
      );
    expect((await violations(open)).sort()).toEqual([
      expect.stringMatching(
        /^swarmlab-no-open-docker-api: security group rule alice-firewall-access-docker-api-0\.0\.0\.0-0 opens Docker API port 2376 \(tcp\) to 0\.0\.0\.0\/0/,
      ),
      wide(2376, "docker-api"),
      wide(8080, "published-8080"),
      wide(5000, "registry"),
      wide(22, "ssh"),
    ]);
  });

  it("fails the whole internet split in two (0.0.0.0/1 + 128.0.0.0/1), counted over the rules", async () => {
    jest.spyOn(console, "warn").mockImplementation(() => undefined);
    const split = await programResources({
      allowedCidrs: JSON.stringify(["0.0.0.0/1", "128.0.0.0/1"]),
    });
    const urns: (string | undefined)[] = [];
    const found = await violations(split, {}, urns);
    // Each is shown on the first rule behind it, as the preview lists violations by resource.
    expect(urns.length).toBe(found.length);
    for (const [i, message] of found.entries()) {
      const first = /security group rules? (\S+?),? /.exec(message)?.[1];
      expect(urns[i]).toBe(urnOf(SECURITY_RULE, first ?? "none"));
    }
    const ports = (rule: string) =>
      found
        .filter((v) => v.startsWith(`${rule}:`))
        .map(
          (v) => /opens? \S+(?: \S+)? ports? (\d+)/.exec(v.replace("Docker API", "docker"))?.[1],
        );
    expect(ports(RULES.dockerApi)).toEqual(["2376"]);
    expect(ports(RULES.wideAccess).sort()).toEqual(["22", "2376", "5000", "8080"]);
    expect(found).toContainEqual(
      expect.stringMatching(
        /^swarmlab-no-wide-access: security group rules alice-firewall-access-ssh-0\.0\.0\.0-1, alice-firewall-access-ssh-128\.0\.0\.0-1 open access port 22 \(tcp\) to 0\.0\.0\.0\/1, 128\.0\.0\.0\/1: 4,256,038,912 public IPv4 addresses in total, more than the 16,777,216 of a \/8 this class allows\. .*remove 0\.0\.0\.0\/1, 128\.0\.0\.0\/1 from swarmlab:allowedCidrs/,
      ),
    );
  });

  it("passes many campus ranges that stay under a /8 in total, and private ranges of any size", async () => {
    const campus = await programResources({
      allowedCidrs: JSON.stringify([
        "198.51.100.0/24",
        "203.0.113.0/24",
        "11.0.0.0/9",
        "10.0.0.0/8",
      ]),
    });
    expect(await violations(campus)).toEqual([]);
  });

  it("fails a published stack port (hostname's 8080) opened to more than a /8, even in pieces", async () => {
    jest.spyOn(console, "warn").mockImplementation(() => undefined);
    // 11.0.0.0/8 is exactly the limit; one more /24 is over it.
    const wide = await programResources({
      allowedCidrs: JSON.stringify(["11.0.0.0/8", "12.0.0.0/24"]),
    });
    const found = await violations(wide);
    const published = found.filter((v) => /opens? access port 8080 /.test(v));
    expect(published).toEqual([
      expect.stringContaining(
        "16,777,472 public IPv4 addresses in total, more than the 16,777,216 of a /8",
      ),
    ]);
  });
});

describe("each rule fails on a bad resource and passes the default", () => {
  it("largest flavor", () => {
    expect(checkFlavor(server(), DEFAULTS.flavor)).toEqual([]);
    expect(checkFlavor(server({ flavorName: "m1.xlarge" }), DEFAULTS.flavor)).toEqual([
      expect.stringMatching(
        /^alice-worker-0 uses flavor m1.xlarge; this class allows m1.tiny, m1.small, m1.medium \(largest m1.medium\): set swarmlab:flavor/,
      ),
    ]);
    expect(checkFlavor(server({ flavorName: "gpu.huge" }), DEFAULTS.flavor)).toHaveLength(1);
    // A name the list does not hold: the pack cannot know its size, so it says how to allow it.
    expect(checkFlavor(server({ flavorName: "campus.2c4g" }), DEFAULTS.flavor)).toEqual([
      expect.stringMatching(
        /^alice-worker-0 uses flavor campus\.2c4g, which this class's list does not name .*adds it to "flavors" of swarmlab-largest-flavor in policy\/config\.json, smallest first\.$/,
      ),
    ]);
    expect(checkFlavor(server({ flavorName: undefined, flavorId: "42" }), DEFAULTS.flavor)).toEqual(
      [expect.stringContaining("names its flavor by id (42)")],
    );
  });

  it("most servers per student", () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `alice-worker-${i}`);
    expect(checkNodeCount(names(10), DEFAULTS.nodes)).toEqual([]);
    expect(checkNodeCount(names(11), DEFAULTS.nodes)).toEqual([
      expect.stringMatching(/^this stack has 11 servers .*managers \+ workers <= 10\.$/),
    ]);
  });

  const one = (props: Record<string, unknown>) => [{ name: "alice-bad", props: rule(props) }];

  it.each([
    [
      "swarm management to 0.0.0.0/0",
      { portRangeMin: 2377, portRangeMax: 2377, remoteIpPrefix: "0.0.0.0/0" },
      "port 2377 (tcp) to 0.0.0.0/0",
      "remove 0.0.0.0/0 from swarmlab:allowedCidrs",
    ],
    [
      "VXLAN to ::/0",
      {
        protocol: "udp",
        ethertype: "IPv6",
        portRangeMin: 4789,
        portRangeMax: 4789,
        remoteIpPrefix: "::/0",
      },
      "port 4789 (udp) to ::/0: about 2^127 public IPv6 addresses",
      "remove ::/0 from swarmlab:allowedCidrs",
    ],
    [
      "every port, every protocol, no remote",
      { protocol: undefined },
      "ports 2377, 4789, 7946 (tcp, udp) to anywhere (alice-bad has no remote CIDR or group)",
      "give the rule a remote CIDR (your campus range) or the cluster's security group",
    ],
    [
      "a range over gossip",
      { portRangeMin: 7000, portRangeMax: 8000, remoteIpPrefix: "0.0.0.0/0" },
      "port 7946 (tcp) to 0.0.0.0/0",
      "remove 0.0.0.0/0 from swarmlab:allowedCidrs",
    ],
    [
      "the internet in two halves",
      { portRangeMin: 2377, portRangeMax: 2377, remoteIpPrefix: "0.0.0.0/1" },
      "port 2377 (tcp) to 0.0.0.0/1: 2,109,734,912 public IPv4 addresses",
      "remove 0.0.0.0/1 from swarmlab:allowedCidrs",
    ],
    [
      "a protocol number (6 is tcp) and host bits set",
      { protocol: "6", portRangeMin: 2377, portRangeMax: 2377, remoteIpPrefix: "64.1.2.3/2" },
      "port 2377 (tcp) to 64.1.2.3/2",
      "remove 64.1.2.3/2 from swarmlab:allowedCidrs",
    ],
  ])("swarm ports: %s is refused", (_label, props, opens, fix) => {
    const [message, ...more] = checkPortCoverage(one(props), DEFAULTS.swarmPorts, "swarm");
    expect(more).toEqual([]);
    expect(message).toMatch(/^security group rule alice-bad opens swarm ports? /);
    expect(message).toContain(`opens swarm ${opens}`);
    expect(message).toContain(fix);
  });

  it.each([
    [
      "between cluster members",
      { portRangeMin: 2377, portRangeMax: 2377, remoteGroupId: "sg-cluster" },
    ],
    [
      "from the campus",
      { portRangeMin: 2377, portRangeMax: 2377, remoteIpPrefix: "203.0.113.0/24" },
    ],
    ["from a private /8", { portRangeMin: 2377, portRangeMax: 2377, remoteIpPrefix: "10.0.0.0/8" }],
    ["from exactly a /8", { portRangeMin: 2377, portRangeMax: 2377, remoteIpPrefix: "11.0.0.0/8" }],
    ["from IPv6 ULA", { portRangeMin: 2377, portRangeMax: 2377, remoteIpPrefix: "fc00::/7" }],
    [
      "from an IPv6 /32",
      { portRangeMin: 2377, portRangeMax: 2377, remoteIpPrefix: "2001:db8::/32" },
    ],
    ["SSH to everyone", { portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: "0.0.0.0/0" }],
    ["ICMP to everyone", { protocol: "icmp", remoteIpPrefix: "0.0.0.0/0" }],
    ["egress", { direction: "egress", remoteIpPrefix: "0.0.0.0/0" }],
    [
      "a remote not known until up",
      { portRangeMin: 2377, portRangeMax: 2377, remoteIpPrefix: UNKNOWN },
    ],
  ])("swarm ports: %s is allowed", (_label, props) => {
    expect(checkPortCoverage(one(props), DEFAULTS.swarmPorts, "swarm")).toEqual([]);
  });

  it("adds the rules of a port up: pieces that each pass fail together, overlaps counted once", () => {
    const on2377 = (cidr: string, name: string) => ({
      name,
      props: rule({ portRangeMin: 2377, portRangeMax: 2377, remoteIpPrefix: cidr }),
    });
    const halves = [on2377("0.0.0.0/1", "a"), on2377("128.0.0.0/1", "b")];
    const loose = { ...DEFAULTS.swarmPorts, maxIpv4Prefix: 0 };
    // Each half alone is within a limit of /0 (the whole space) ...
    expect(checkPortCoverage([halves[0]], loose, "swarm")).toEqual([]);
    // ... and at the default limit, together they are the internet.
    expect(checkPortCoverage(halves, DEFAULTS.swarmPorts, "swarm")).toEqual([
      expect.stringMatching(
        /^security group rules a, b open swarm port 2377 \(tcp\) to 0\.0\.0\.0\/1, 128\.0\.0\.0\/1: 4,256,038,912 public/,
      ),
    ]);
    // Two /9s make one /8: within the limit. The same /9 twice is still one /9.
    const ninths = [on2377("11.0.0.0/9", "a"), on2377("11.128.0.0/9", "b")];
    expect(checkPortCoverage(ninths, DEFAULTS.swarmPorts, "swarm")).toEqual([]);
    const twice = [on2377("11.0.0.0/8", "a"), on2377("11.0.0.0/9", "b"), on2377("11.0.0.0/8", "c")];
    expect(checkPortCoverage(twice, DEFAULTS.swarmPorts, "swarm")).toEqual([]);
    // A rule on another port, or between members, adds nothing to 2377.
    const elsewhere = [
      on2377("11.0.0.0/8", "a"),
      {
        name: "b",
        props: rule({ portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: "12.0.0.0/8" }),
      },
      { name: "c", props: rule({ portRangeMin: 2377, portRangeMax: 2377, remoteGroupId: "sg" }) },
    ];
    expect(checkPortCoverage(elsewhere, DEFAULTS.swarmPorts, "swarm")).toEqual([]);
    // A stricter class: a /16 at most.
    const strict = { ...DEFAULTS.swarmPorts, maxIpv4Prefix: 16 };
    expect(checkPortCoverage(ninths, strict, "swarm")).toHaveLength(1);
  });

  it("without a port list, checks every port opened from outside, range by range", () => {
    const rules = [
      {
        name: "web",
        props: rule({ portRangeMin: 80, portRangeMax: 443, remoteIpPrefix: "0.0.0.0/1" }),
      },
      {
        name: "tls",
        props: rule({ portRangeMin: 443, portRangeMax: 443, remoteIpPrefix: "128.0.0.0/1" }),
      },
      {
        name: "campus",
        props: rule({ portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: "203.0.113.0/24" }),
      },
    ];
    expect(checkPortCoverage(rules, DEFAULTS.wideAccess, "access")).toEqual([
      expect.stringMatching(
        /^security group rule web opens access ports 80-442 \(tcp\) to 0\.0\.0\.0\/1: 2,109,734,912 /,
      ),
      expect.stringMatching(
        /^security group rules web, tls open access port 443 \(tcp\) to 0\.0\.0\.0\/1, 128\.0\.0\.0\/1: 4,256,038,912 /,
      ),
    ]);
  });

  it("Docker API ports", () => {
    const api = one({ portRangeMin: 2376, portRangeMax: 2376, remoteIpPrefix: "0.0.0.0/0" });
    expect(checkPortCoverage(api, DEFAULTS.dockerApi, "Docker API")).toEqual([
      expect.stringMatching(
        /^security group rule alice-bad opens Docker API port 2376 \(tcp\) to 0.0.0.0\/0: .* Such ports must be reachable only/,
      ),
    ]);
    const campus = one({
      portRangeMin: 2376,
      portRangeMax: 2376,
      remoteIpPrefix: "203.0.113.0/24",
    });
    expect(checkPortCoverage(campus, DEFAULTS.dockerApi, "Docker API")).toEqual([]);
  });

  it("owner on every server", () => {
    expect(checkOwner(server(), DEFAULTS.owner)).toEqual([]);
    // A preview of a new stack: metadata holds the join token and is not known yet.
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    expect(checkOwner(server({ metadata: unknown }), DEFAULTS.owner)).toEqual([]);
    expect(checkOwner(server({ tags: ["swarmlab"] }), DEFAULTS.owner)).toEqual([
      expect.stringMatching(
        /^alice-worker-0 has no owner tag: .*build servers with swarmlab's LabNode/,
      ),
    ]);
    expect(checkOwner(server({ metadata: { owner: "bob" } }), DEFAULTS.owner)).toEqual([
      expect.stringContaining('is tagged for alice but its metadata owner is "bob"'),
    ]);
    expect(checkOwner(server({ metadata: {} }), DEFAULTS.owner)).toEqual([
      expect.stringContaining("its metadata owner is missing"),
    ]);
  });
});

describe("the policies as the engine calls them", () => {
  it("report each bad resource under the rule's name, with the teacher's config", async () => {
    const bad = [
      {
        type: SERVER,
        name: "alice-worker-0-server",
        props: server({ flavorName: "m1.large", tags: [] }),
      },
      {
        type: SECURITY_RULE,
        name: "alice-open",
        props: rule({ portRangeMin: 2375, portRangeMax: 2377, remoteIpPrefix: "0.0.0.0/0" }),
      },
    ];
    const found = await violations(bad, TEACHER_CONFIG);
    expect(found.map((v) => v.slice(0, v.indexOf(":")))).toEqual([
      RULES.flavor,
      RULES.swarmPorts,
      RULES.dockerApi,
      RULES.wideAccess,
      RULES.owner,
    ]);
    expect(found).toContainEqual(expect.stringContaining("opens Docker API ports 2375, 2376"));
    expect(found).toContainEqual(expect.stringContaining("opens access ports 2375-2377 (tcp)"));
  });

  it("policy/config.json sets only known rules, each valid against its rule's schema", () => {
    const names = policies.map((p) => p.name);
    expect(Object.keys(TEACHER_CONFIG).sort()).toEqual([...names].sort());
    const ajv = new Ajv({ strict: false });
    for (const policy of policies) {
      const validate = ajv.compile({ type: "object", ...policy.configSchema });
      expect(validate(TEACHER_CONFIG[policy.name])).toBe(true);
      expect(validate({ ...TEACHER_CONFIG[policy.name], maxNodes: "ten", ports: "all" })).toBe(
        policy.name === RULES.flavor ||
          policy.name === RULES.owner ||
          policy.name === RULES.wideAccess,
      );
      // The coverage limits are prefix lengths, whole numbers.
      const limited = "maxIpv4Prefix" in TEACHER_CONFIG[policy.name];
      expect(validate({ ...TEACHER_CONFIG[policy.name], maxIpv4Prefix: "/8" })).toBe(!limited);
    }
    for (const name of [RULES.swarmPorts, RULES.dockerApi, RULES.wideAccess]) {
      expect(TEACHER_CONFIG[name]).toMatchObject({ maxIpv4Prefix: 8, maxIpv6Prefix: 32 });
    }
  });

  it("every rule is mandatory and has a description", () => {
    for (const policy of policies) {
      expect(policy.enforcementLevel).toBe("mandatory");
      expect(policy.description.length).toBeGreaterThan(20);
    }
  });
});
