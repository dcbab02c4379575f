/**
 * Heal and destroy on the local cloud (issue 27, item 4), as the engine and the docker provider
 * decide them; what they do on the node is the system test's (scenario e,
 * test/system/harness/local-heal-tests.ts).
 *
 * A node's container removed by hand, then `pulumi up --refresh`:
 * - Refresh: the provider's Read finds no such container and clears the id
 *   (kreuzwerker/terraform-provider-docker v4.5.0, the upstream of @pulumi/docker 5.x,
 *   internal/provider/resource_docker_container_funcs.go, resourceDockerContainerRead: "This
 *   container doesn't exist anymore", d.SetId("")). The engine takes a blank id as a delete and
 *   drops the resource from the state the update diffs against (pulumi/pulumi
 *   pkg/resource/deploy/step.go, RefreshStep.Apply: "If the ID is blank treat this as a delete";
 *   deployment_executor.go, rebuildBaseState: "stripping out any deleted resources"). The node's
 *   volume is a resource of its own that Read still finds (resource_docker_volume.go,
 *   resourceDockerVolumeRead clears the id only on NotFound): it stays in the state.
 * - Update: a resource missing from the state is created from the program's inputs, and Create
 *   returns the new container's own id; every step keyed on that id runs again.
 * The mock stands for exactly that: the first deployment's state minus the lost container, and a
 * new id for whatever is created (support/program.ts, createdIdSuffix).
 */
import { useFakeEngine } from "./support/fake-engine";
import { clusterNodes } from "../../infra/config/naming";
import { nodeAddress } from "../../infra/local/lab-network";
import { OWNER_LABEL } from "../../infra/local/local-node";
import { expectedContainerArgs } from "./support/local-expected";
import { openSecrets } from "./support/mock-cloud";
import {
  CommandStdout,
  names,
  nextDeployment,
  ProgramRun,
  runProgram,
  swarmStdout,
} from "./support/program";

// The engine the pre-flight asks (infra/local/engine-preflight.ts): an empty one.
useFakeEngine();

const LOCAL = { cloud: "docker", allowedCidrs: '["127.0.0.1/32"]', mtu: "1450" };
/** What the re-created container's id ends with: a new container is not the lost one. */
const NEW_ID = "-new";

interface Heal {
  first: ProgramRun;
  run: ProgramRun;
  /** Every resource the update does not leave as it was, as "name step". */
  moved: string[];
}

/** A first deployment, the refresh that finds `node`'s container gone, and the update after it. */
async function heal(keys: Record<string, string>, node: string): Promise<Heal> {
  const stdout: CommandStdout = swarmStdout(
    names("alice", Number(keys.managers ?? 1), Number(keys.workers ?? 2)),
  );
  const first = await runProgram(keys, "alice", stdout, { glance: [] });
  if (first.error !== undefined) throw first.error;
  const refreshed = first.resources.filter((r) => r.name !== `${node}-container`);
  const { run } = await nextDeployment(first, "alice", keys, stdout, {
    state: refreshed,
    createdIdSuffix: NEW_ID,
  });
  const moved = run.resources
    .filter((r) => r.step !== "same" && r.step !== "read")
    .map((r) => `${r.name} ${r.step}`)
    .sort();
  return { first, run, moved };
}

/** What the update does: `node`'s container created, `rerun` replaced, `repinned` updated. */
function moves(node: string, rerun: string[], repinned: string[] = []): string[] {
  return [
    `${node}-container create`,
    ...rerun.map((name) => `${name} replace`),
    ...repinned.map((name) => `${name} update`),
  ].sort();
}

/** The inputs of `name` that differ between the two deployments, secrets opened. */
function changedInputs(result: Heal, name: string): string[] {
  const before = openSecrets(result.first.byName(name).inputs) as Record<string, unknown>;
  const after = openSecrets(result.run.byName(name).inputs) as Record<string, unknown>;
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .sort();
}

/**
 * Each step changed `changed` (its `triggers` among them, which now hold the new container id, not
 * the old): a changed trigger replaces a ManagerStep (manager-step-provider.ts, diff).
 */
function expectRerunForTheNewId(
  result: Heal,
  node: string,
  steps: string[],
  changed = ["triggers"],
): void {
  const oldId = result.first.byName(`${node}-container`).id;
  const newId = result.run.byName(`${node}-container`).id;
  expect(newId).toBe(`${oldId}${NEW_ID}`);
  for (const step of steps) {
    const triggers = JSON.stringify(openSecrets(result.run.byName(step).inputs.triggers));
    expect([step, changedInputs(result, step), triggers.includes(`"${newId}"`)]).toEqual([
      step,
      changed,
      true,
    ]);
    expect(triggers).not.toContain(`"${oldId}"`);
  }
}

/** The re-created container has the lost one's inputs, which are the builder's for that node. */
function expectBuilderInputs(result: Heal, node: string, managers: number): void {
  const name = `${node}-container`;
  const recorded = openSecrets(result.run.byName(name).inputs) as {
    uploads: { content: string }[];
  };
  expect(recorded).toEqual(openSecrets(result.first.byName(name).inputs));
  const identity = clusterNodes("alice", managers, 2).find((n) => n.name === node);
  if (!identity) throw new Error(`no node ${node}`);
  const [image] = result.run.ofType("docker:index/image:Image");
  const expected = expectedContainerArgs({
    stack: "alice",
    keys: LOCAL,
    identity,
    image: String(image.inputs.imageName),
    address: nodeAddress("10.42.0.0/24", identity),
    metaData: JSON.parse(recorded.uploads[0].content),
    mtu: 1450,
  });
  expect(recorded).toEqual(openSecrets(expected));
  // The volume, a resource of its own, was found by the refresh: the same one, untouched.
  const volume = result.run.byName(`${node}-docker-volume`);
  expect([volume.step, volume.id]).toEqual(["same", result.first.byName(volume.name).id]);
}

describe("the local cloud heals a container removed by hand (pulumi up --refresh)", () => {
  it("re-creates exactly a lost worker's container from the builder's inputs; only the steps keyed on its id run again", async () => {
    const result = await heal(LOCAL, "alice-worker-0");
    // The membership and the ready gate follow every instance id, and so does the token
    // rotation (rotateJoinTokens, default true: the new node joined with a current token).
    expect(result.moved).toEqual(
      moves("alice-worker-0", [
        "alice-ready-check",
        "alice-rotate-tokens",
        "alice-worker-0-membership",
      ]),
    );
    expectBuilderInputs(result, "alice-worker-0", 1);
    expectRerunForTheNewId(result, "alice-worker-0", [
      "alice-worker-0-membership",
      "alice-ready-check",
      "alice-rotate-tokens",
    ]);
  });

  it("re-creates a lost manager's container; its host key is pinned again and handed to every step, as on OpenStack", async () => {
    const keys = { ...LOCAL, managers: "3" };
    const result = await heal(keys, "alice-manager-1");
    // A new container makes a new host key (the image has none: sshd makes one at first boot),
    // so the pin follows the container id, and so do the manager's membership and its Docker
    // API certificate step, beside the gate and the rotation.
    const rerun = [
      "alice-manager-1-docker-api",
      "alice-manager-1-host-key",
      "alice-manager-1-membership",
      "alice-ready-check",
      "alice-rotate-tokens",
    ];
    // Every other step over SSH gets the new pin among its inputs: an update that runs no
    // script (its create, update and secretStdin are unchanged: manager-step-provider.ts,
    // update and RERUN_KEYS), so it does not refuse the healed manager's new key.
    const repinned = [
      "alice-autolock",
      "alice-manager-2-membership",
      "alice-registry-deploy",
      "alice-stacks-hostname",
      "alice-worker-0-membership",
      "alice-worker-1-membership",
    ];
    expect(result.moved).toEqual(moves("alice-manager-1", rerun, repinned));
    expectBuilderInputs(result, "alice-manager-1", 3);
    const pin = result.run.byName("alice-manager-1-host-key");
    expect(pin.inputs.serverId).toBe(result.run.byName("alice-manager-1-container").id);
    const fingerprint = String(pin.outputs.fingerprint);
    expect(fingerprint).not.toBe(result.first.byName(pin.name).outputs.fingerprint);
    // Its membership asks the other managers only (a node is never removed through itself).
    expectRerunForTheNewId(result, "alice-manager-1", ["alice-manager-1-membership"]);
    expectRerunForTheNewId(
      result,
      "alice-manager-1",
      ["alice-manager-1-docker-api", "alice-ready-check", "alice-rotate-tokens"],
      ["hostKeys", "triggers"],
    );
    for (const step of repinned) {
      expect([step, changedInputs(result, step)]).toEqual([step, ["hostKeys"]]);
      expect(JSON.stringify(openSecrets(result.run.byName(step).inputs.hostKeys))).toContain(
        fingerprint,
      );
    }
  });
});

describe("the local cloud heals manager-0's container removed by hand", () => {
  it("re-creates it, pins it anew and runs the bootstrap again; the workers' containers stay", async () => {
    const result = await heal(LOCAL, "alice-manager-0");
    const rerun = [
      "alice-autolock",
      "alice-bootstrap-tokens",
      "alice-manager-0-docker-api",
      "alice-manager-0-host-key",
      "alice-ready-check",
      "alice-rotate-tokens",
    ];
    // The new pin reaches the other steps over SSH as an update that runs nothing.
    const repinned = [
      "alice-registry-deploy",
      "alice-stacks-hostname",
      "alice-worker-0-membership",
      "alice-worker-1-membership",
    ];
    expect(result.moved).toEqual(moves("alice-manager-0", rerun, repinned));
    expectBuilderInputs(result, "alice-manager-0", 1);
    expectRerunForTheNewId(
      result,
      "alice-manager-0",
      ["alice-bootstrap-tokens", "alice-ready-check", "alice-rotate-tokens"],
      ["hostKeys", "triggers"],
    );
    // With one manager the workers' containers have replaceWith: [manager-0's], but the engine
    // replaces them only when manager-0's is being REPLACED (pulumi/pulumi
    // pkg/resource/deploy/step_generator.go: "marked for replacement because ... (in its
    // ReplaceWith list) is being replaced", sg.replaces); one created anew after a refresh
    // dropped it is not. The mock decides no replaceWith at all, so this stands on that source.
    for (const worker of ["alice-worker-0-container", "alice-worker-1-container"]) {
      expect([worker, result.run.byName(worker).step]).toEqual([worker, "same"]);
    }
  });
});

describe("the local cloud's Docker objects", () => {
  it("carry the owner label, every container, volume and network the program declares", async () => {
    const run = await runProgram(LOCAL, "alice", swarmStdout(names("alice", 1, 2)), {
      glance: [],
    });
    if (run.error !== undefined) throw run.error;
    const docker = run.resources.filter((r) => r.type.startsWith("docker:"));
    const unlabelled = docker
      .filter((r) => {
        const labels = (openSecrets(r.inputs.labels) ?? []) as { label: string; value: string }[];
        return !labels.some((l) => l.label === OWNER_LABEL && l.value === "alice");
      })
      .map((r) => r.type);
    // The node image is the one exception: it is named by its recipe's hash, so every stack on
    // this engine shares it, and `pulumi destroy` leaves it (pulumi-docker provider/provider.go,
    // dockerNativeProvider.Delete does nothing): no stack may claim it.
    expect(unlabelled).toEqual(["docker:index/image:Image"]);
    // Three nodes and the forwarder of the default stack's port (hostname's 8080).
    expect(docker.map((r) => r.type).sort()).toEqual(
      [
        "docker:index/container:Container",
        "docker:index/container:Container",
        "docker:index/container:Container",
        "docker:index/container:Container",
        "docker:index/image:Image",
        "docker:index/network:Network",
        "docker:index/volume:Volume",
        "docker:index/volume:Volume",
        "docker:index/volume:Volume",
      ].sort(),
    );
  });
});
