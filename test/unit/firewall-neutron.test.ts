/**
 * Security-group rules on a real Neutron (issue 22, item 3). Under mocks any rule set is
 * accepted; here LabFirewall runs under Pulumi's mocks, what it declares (names, arguments,
 * deleteBeforeReplace as the SDK sends it) is applied to a fake Neutron that refuses a duplicate
 * rule with 409, in the engine's order (support/fake-neutron.ts says where both come from).
 */
import type * as pulumiType from "@pulumi/pulumi";
import { fakeCloud, resetFakeCloud } from "./support/cloud-mocks";
import {
  applyRules,
  DeclaredRule,
  FakeNeutron,
  NeutronRule,
  RuleState,
} from "./support/fake-neutron";

jest.mock("@pulumi/pulumi/runtime/mocks", () =>
  jest
    .requireActual("./support/cloud-mocks")
    .extendMockMonitor(jest.requireActual("@pulumi/pulumi/runtime/mocks")),
);

const RULE = "openstack:networking/secGroupRule:SecGroupRule";
const RULE_KEYS: (keyof NeutronRule)[] = [
  "securityGroupId",
  "direction",
  "ethertype",
  "protocol",
  "portRangeMin",
  "portRangeMax",
  "remoteGroupId",
  "remoteIpPrefix",
  "description",
];

/** The rules LabFirewall declares for these CIDRs, with the options the SDK sent for each. */
async function declaredRules(allowedCidrs: string[]): Promise<DeclaredRule[]> {
  resetFakeCloud({});
  const rules: { name: string; inputs: Record<string, unknown> }[] = [];
  await jest.isolateModulesAsync(async () => {
    const pulumi: typeof pulumiType = await import("@pulumi/pulumi");
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          if (args.type === RULE) rules.push({ name: args.name, inputs: args.inputs });
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call() {
          throw new Error("the firewall looks nothing up");
        },
      },
      "swarmlab",
      "dev",
      false,
    );
    const { LabFirewall } = await import("../../infra/network/firewall");
    new LabFirewall("lab-firewall", { owner: "lab", allowedCidrs });
    await pulumi.runtime.disconnect();
  });
  return rules.map(({ name, inputs }) => ({
    name,
    args: Object.fromEntries(
      RULE_KEYS.filter((k) => inputs[k] !== undefined).map((k) => [k, inputs[k]]),
    ) as unknown as NeutronRule,
    deleteBeforeReplace: fakeCloud().options.get(name)?.deleteBeforeReplace ?? false,
  }));
}

const A = "203.0.113.0/24";
const B = "198.51.100.7/32";
const C = "192.0.2.0/28";

async function change(from: string[], to: string[]) {
  const neutron = new FakeNeutron();
  const state: RuleState = applyRules(neutron, new Map(), await declaredRules(from));
  applyRules(neutron, state, await declaredRules(to));
  return neutron.list();
}

const remotes = (rules: NeutronRule[]) =>
  [...new Set(rules.flatMap((r) => (r.remoteIpPrefix ? [r.remoteIpPrefix] : [])))].sort();

describe("allowedCidrs changed on a live cluster", () => {
  it("removes the first of two CIDRs without a 409", async () => {
    expect(remotes(await change([A, B], [B]))).toEqual([B]);
  });

  it("reorders CIDRs without a 409 and without touching a rule", async () => {
    const neutron = new FakeNeutron();
    const state = applyRules(neutron, new Map(), await declaredRules([A, B, C]));
    const after = applyRules(neutron, state, await declaredRules([C, A, B]));
    expect([...after.values()].map((r) => r.id).sort()).toEqual(
      [...state.values()].map((r) => r.id).sort(),
    );
  });

  it("adds a CIDR in front without a 409", async () => {
    expect(remotes(await change([A], [C, A]))).toEqual([C, A].sort());
  });

  it("names each access rule by what it allows, and deletes a rule before its replacement", async () => {
    const rules = await declaredRules([A]);
    expect(rules.map((r) => r.name)).toContain("lab-firewall-access-ssh-203.0.113.0-24");
    expect(rules.every((r) => r.deleteBeforeReplace)).toBe(true);
  });
});

describe("the cluster group", () => {
  it("opens 22/tcp between members, so a worker is reached through a manager", async () => {
    const rules = await declaredRules([A]);
    expect(
      rules.filter(
        (r) => r.args.portRangeMin === 22 && r.args.remoteGroupId === "lab-firewall-cluster-id",
      ),
    ).toHaveLength(1);
  });
});
