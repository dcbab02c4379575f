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
  checkPublicPorts,
  DEFAULTS,
  policies,
  publicPorts,
  RULES,
  SECURITY_RULE,
  SERVER,
} from "../../policy/rules";
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
    urn: `urn:pulumi:alice::swarmlab::${type}::${name}`,
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

/** Every violation the pack reports for these resources, as `<rule>: <message>`. */
async function violations(
  resources: readonly { type: string; name: string; props: Record<string, unknown> }[],
  config: Record<string, object> = {},
): Promise<string[]> {
  const found: string[] = [];
  for (const policy of policies) {
    const settings = config[policy.name] ?? {};
    const reportFor = (message: string) => found.push(`${policy.name}: ${message}`);
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
          (r) => ({ type: r.type, name: r.name, props: r.props }) as PolicyResource,
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

  it("fails a stack that opens SSH to everyone only if a checked port is in the range", async () => {
    // The program warns about 0.0.0.0/0 (validate.ts); that warning is not under test here.
    jest.spyOn(console, "warn").mockImplementation(() => undefined);
    const open = await programResources({ allowedCidrs: JSON.stringify(["0.0.0.0/0"]) });
    // SSH (22), ICMP and the registry (5000) are not swarm or Docker ports; the Docker API (2376,
    // opened to allowedCidrs) is, so 0.0.0.0/0 is refused for it alone.
    expect(await violations(open)).toEqual([
      expect.stringMatching(
        /^swarmlab-no-open-docker-api: security group rule alice-firewall-access-docker-api-0\.0\.0\.0-0 opens Docker API port 2376 to 0\.0\.0\.0\/0/,
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

  it.each([
    [
      "swarm management to 0.0.0.0/0",
      { portRangeMin: 2377, portRangeMax: 2377, remoteIpPrefix: "0.0.0.0/0" },
      [2377],
    ],
    [
      "VXLAN to ::/0",
      { protocol: "udp", portRangeMin: 4789, portRangeMax: 4789, remoteIpPrefix: "::/0" },
      [4789],
    ],
    ["every port, every protocol, no remote", { protocol: undefined }, [2377, 7946, 4789]],
    [
      "a range over gossip",
      { portRangeMin: 7000, portRangeMax: 8000, remoteIpPrefix: "0.0.0.0/0" },
      [7946],
    ],
  ])("swarm ports: %s is refused", (_label, props, open) => {
    expect(publicPorts(rule(props), DEFAULTS.swarmPorts.ports)).toEqual(open);
    const [message] = checkPublicPorts("alice-bad", rule(props), DEFAULTS.swarmPorts, "swarm");
    expect(message).toMatch(/^security group rule alice-bad opens swarm ports? /);
    expect(message).toContain("remove 0.0.0.0/0 from swarmlab:allowedCidrs");
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
    ["SSH to everyone", { portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: "0.0.0.0/0" }],
    ["ICMP to everyone", { protocol: "icmp", remoteIpPrefix: "0.0.0.0/0" }],
    ["egress", { direction: "egress", remoteIpPrefix: "0.0.0.0/0" }],
  ])("swarm ports: %s is allowed", (_label, props) => {
    expect(checkPublicPorts("alice-ok", rule(props), DEFAULTS.swarmPorts, "swarm")).toEqual([]);
  });

  it("Docker API ports", () => {
    const api = rule({ portRangeMin: 2376, portRangeMax: 2376, remoteIpPrefix: "0.0.0.0/0" });
    expect(checkPublicPorts("alice-api", api, DEFAULTS.dockerApi, "Docker API")).toEqual([
      expect.stringMatching(
        /^security group rule alice-api opens Docker API port 2376 to 0.0.0.0\/0\. Docker API ports must be reachable only/,
      ),
    ]);
    const campus = { ...api, remoteIpPrefix: "203.0.113.0/24" };
    expect(checkPublicPorts("alice-api", campus, DEFAULTS.dockerApi, "Docker API")).toEqual([]);
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
      RULES.owner,
    ]);
    expect(found).toContainEqual(expect.stringContaining("opens Docker API ports 2375, 2376"));
  });

  it("policy/config.json sets only known rules, each valid against its rule's schema", () => {
    const names = policies.map((p) => p.name);
    expect(Object.keys(TEACHER_CONFIG).sort()).toEqual([...names].sort());
    const ajv = new Ajv({ strict: false });
    for (const policy of policies) {
      const validate = ajv.compile({ type: "object", ...policy.configSchema });
      expect(validate(TEACHER_CONFIG[policy.name])).toBe(true);
      expect(validate({ ...TEACHER_CONFIG[policy.name], maxNodes: "ten", ports: "all" })).toBe(
        policy.name === RULES.flavor || policy.name === RULES.owner,
      );
    }
  });

  it("every rule is mandatory and has a description", () => {
    for (const policy of policies) {
      expect(policy.enforcementLevel).toBe("mandatory");
      expect(policy.description.length).toBeGreaterThan(20);
    }
  });
});
