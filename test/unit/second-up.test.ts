/**
 * A second `pulumi up` with no change must change nothing and run nothing (issue 22, item 7).
 * The program runs twice under mocks, the second time with the first run's stack outputs as the
 * previous deployment (what its self StackReference reads). Then, for every resource:
 *   - OpenStack resources: the engine step worked out from the provider's schema and the options
 *     the SDK sent (support/provider-semantics.ts) must be "same";
 *   - ManagerSteps (dynamic provider, infra/swarm/manager-step-provider.ts: a trigger change
 *     replaces, a create/update/secretStdin change re-runs) and every other resource: the inputs
 *     must be equal, so the engine finds no diff.
 */
import { fakeCloud, resetFakeCloud } from "./support/cloud-mocks";
import { engineStep } from "./support/provider-semantics";
import {
  MANAGER_STEP,
  MOCK_GLANCE_IMAGES,
  names,
  ProgramRun,
  runProgram,
  secretValue,
  swarmStdout,
  valueOf,
} from "./support/program";

jest.mock("@pulumi/pulumi/runtime/mocks", () =>
  jest
    .requireActual("./support/cloud-mocks")
    .extendMockMonitor(jest.requireActual("@pulumi/pulumi/runtime/mocks")),
);

const ALLOWED = JSON.stringify(["203.0.113.0/24", "198.51.100.7/32"]);
const stdout = swarmStdout(names("uma", 1, 2));

async function up(previous: Record<string, unknown>) {
  const run = await runProgram(
    { allowedCidrs: ALLOWED },
    "uma",
    // No "-survivors" stdout: that step runs nothing on create or update (infra/swarm/swarm.ts),
    // and the mock would otherwise print for it. No refresh happens between the two runs.
    stdout,
    previous,
  );
  if (run.error !== undefined) throw run.error;
  return { run, options: new Map(fakeCloud().options) };
}

/** The first run's stack outputs, as the engine would hand them to the next run. */
async function outputsOf(run: ProgramRun): Promise<Record<string, unknown>> {
  const entries = await Promise.all(
    Object.entries(run.exports).map(async ([key, value]) => [key, await valueOf(value)] as const),
  );
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined));
}

let first: Awaited<ReturnType<typeof up>>;
let second: Awaited<ReturnType<typeof up>>;

beforeAll(async () => {
  // Glance has the image: the first preview resolves its name to an id (infra/nodes/image.ts).
  resetFakeCloud(MOCK_GLANCE_IMAGES);
  first = await up({});
  resetFakeCloud(MOCK_GLANCE_IMAGES);
  second = await up(await outputsOf(first.run));
});

it("declares the same resources", () => {
  expect(second.run.resources.map((r) => r.name).sort()).toEqual(
    first.run.resources.map((r) => r.name).sort(),
  );
});

it("changes no OpenStack resource", () => {
  const steps = second.run.resources
    .filter((r) => r.type.startsWith("openstack:"))
    .map((r) => {
      const before = first.run.byName(r.name);
      const options = second.options.get(r.name);
      const plan = engineStep(r.type, before.outputs, r.inputs, {
        replaceOnChanges: options?.replaceOnChanges,
        ignoreChanges: options?.ignoreChanges,
        trigger: {
          old: first.options.get(r.name)?.replacementTrigger,
          new: options?.replacementTrigger,
        },
      });
      return [r.name, plan.step, plan.changed];
    });
  expect(steps.filter(([, step]) => step !== "same")).toEqual([]);
});

it("runs no swarm step again and changes no other input", () => {
  const changed = second.run.resources
    .filter((r) => !r.type.startsWith("openstack:"))
    .filter((r) => JSON.stringify(r.inputs) !== JSON.stringify(first.run.byName(r.name).inputs))
    .map((r) => {
      const before = first.run.byName(r.name).inputs;
      const keys = Object.keys({ ...before, ...r.inputs }).filter(
        (k) => JSON.stringify(before[k]) !== JSON.stringify(r.inputs[k]),
      );
      return `${r.name} (${r.type === MANAGER_STEP ? "ManagerStep" : r.type}): ${keys.join(", ")}`;
    });
  expect(changed).toEqual([]);
});

it("puts no manager token into Nova metadata", () => {
  for (const server of second.run.ofType("openstack:compute/instance:Instance")) {
    const metadata = secretValue(server.inputs.metadata) as Record<string, string>;
    if (server.name.includes("-manager-")) expect(metadata.swarm_token).toBeUndefined();
  }
  // ignoreChanges keeps what the first boot had anyway; the token must not even be sent.
  const manager0 = second.run.byName("uma-manager-0-server");
  expect(JSON.stringify(manager0.inputs)).not.toContain("mockmanagertoken");
});

describe("pulumi destroy", () => {
  // The engine deletes a resource before everything it depends on, directly or not
  // (pulumi/pulumi pkg/resource/graph/dependency_graph.go, DependingOn): a step that must still
  // reach the nodes over SSH when it is deleted has to depend on the rules that let SSH in.
  it("deletes the SSH rules only after every SSH-driven delete step", () => {
    const { run } = first;
    const closure = (name: string, seen = new Set<string>()): Set<string> => {
      for (const dependency of run.byName(name).dependsOn) {
        if (!seen.has(dependency)) {
          seen.add(dependency);
          closure(dependency, seen);
        }
      }
      return seen;
    };
    const sshRules = run
      .ofType("openstack:networking/secGroupRule:SecGroupRule")
      .filter((r) => r.inputs.portRangeMin === 22)
      .map((r) => r.name);
    expect(sshRules).toHaveLength(3);
    const deleteSteps = run
      .ofType(MANAGER_STEP)
      .filter((r) => r.inputs.delete !== undefined)
      .map((r) => r.name);
    expect(deleteSteps.length).toBeGreaterThan(2);
    const missing = deleteSteps.flatMap((step) =>
      sshRules.filter((rule) => !closure(step).has(rule)).map((rule) => `${step} -> ${rule}`),
    );
    expect(missing).toEqual([]);
  });
});
