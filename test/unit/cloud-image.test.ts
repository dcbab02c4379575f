/**
 * Image and flavor changes on a real cloud (issue 22, items 1 and 2). Under program.ts's mocks a
 * server is never rebuilt, resized or replaced; here the engine step of each server is worked out
 * from the provider's schema (openstack-schema.ts, read off terraform-provider-openstack v1.54.1:
 * image_id/image_name/flavor_name are updates in place, Rebuild and Resize under the same id) and
 * the options the program sends, and Glance answers from a fake image list that behaves like the
 * provider's image data source (support/cloud-mocks.ts).
 */
import { engineStep } from "./support/provider-semantics";
import { resetFakeCloud, fakeCloud } from "./support/cloud-mocks";
import { names, ProgramRun, runProgram, swarmStdout, valueOf } from "./support/program";

jest.mock("@pulumi/pulumi/runtime/mocks", () =>
  jest
    .requireActual("./support/cloud-mocks")
    .extendMockMonitor(jest.requireActual("@pulumi/pulumi/runtime/mocks")),
);

const INSTANCE = "openstack:compute/instance:Instance";
const ALLOWED = JSON.stringify(["203.0.113.0/24"]);
const UBUNTU_OLD = "0b7f2a53-4a5e-4f59-9d2b-1c1f1f3d7a01";
const UBUNTU_NEW = "7e1a9c33-2f0d-4b8e-8f5a-5a6b7c8d9e02";
const DEBIAN = "c4d5e6f7-0a1b-4c2d-8e3f-405162738495";
const stdout = swarmStdout(names("ivy", 1, 2));

async function run(
  config: Record<string, string>,
  previous: Record<string, unknown> = {},
): Promise<{ run: ProgramRun; warnings: string[] }> {
  const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
  try {
    const result = await runProgram(
      { allowedCidrs: ALLOWED, ...config },
      "ivy",
      // No "-survivors" stdout: that step reads only at refresh (infra/swarm/swarm.ts).
      stdout,
      previous,
    );
    if (result.error !== undefined) throw result.error;
    return { run: result, warnings: warn.mock.calls.map((call) => String(call[0])) };
  } finally {
    warn.mockRestore();
  }
}

/**
 * What the provider's state holds for each server after the first `up`: the inputs, plus the id
 * the provider resolved the name to (compute_instance_v2.go:1514), and, after a refresh once
 * Glance no longer has the image, "Image not found" as its name (compute_instance_v2.go:1521).
 */
function stateAfter(first: ProgramRun, imageName: string): Map<string, Record<string, unknown>> {
  return new Map(
    first
      .ofType(INSTANCE)
      .map((r) => [r.name, { ...r.inputs, imageId: UBUNTU_OLD, imageName }] as const),
  );
}

async function previousOutputs(first: ProgramRun): Promise<Record<string, unknown>> {
  const out = (key: string) => valueOf(first.exports[key] as never);
  return {
    nodes: await out("nodes"),
    rebuildKey: await out("rebuildKey"),
    // The provider computes imageId; the mock echoes inputs, so the pin is what it would report.
    image: { name: "Ubuntu 22.04", id: UBUNTU_OLD },
  };
}

function steps(second: ProgramRun, state: Map<string, Record<string, unknown>>) {
  const cloud = fakeCloud();
  return Object.fromEntries(
    second.ofType(INSTANCE).map((server) => {
      const old = state.get(server.name) as Record<string, unknown>;
      const options = cloud.options.get(server.name);
      const plan = engineStep(INSTANCE, old, server.inputs, {
        replaceOnChanges: options?.replaceOnChanges,
        ignoreChanges: options?.ignoreChanges,
        trigger: { old: firstTriggers.get(server.name), new: options?.replacementTrigger },
      });
      return [server.name, plan.step];
    }),
  );
}

let first: ProgramRun;
let firstTriggers: Map<string, unknown>;
let firstLookups: Record<string, unknown>[];

beforeAll(async () => {
  resetFakeCloud({ "Ubuntu 22.04": [UBUNTU_OLD] });
  first = (await run({})).run;
  firstLookups = [...fakeCloud().imageLookups];
  firstTriggers = new Map(
    [...fakeCloud().options].map(([name, options]) => [name, options.replacementTrigger]),
  );
});

describe("the image", () => {
  it("is resolved to an id at the first preview and booted by it; the stack output records it", async () => {
    const servers = first.ofType(INSTANCE);
    expect(servers.map((s) => [s.inputs.imageName, s.inputs.imageId])).toEqual(
      Array(3).fill([undefined, UBUNTU_OLD]),
    );
    // One look-up, before any server: exactly one image of the name, or the preview fails.
    expect(firstLookups).toEqual([{ name: "Ubuntu 22.04" }]);
    expect(await valueOf(first.exports.image as never)).toEqual({
      name: "Ubuntu 22.04",
      id: UBUNTU_OLD,
    });
  });

  it("stays pinned by id when Glance deletes or renames it upstream: nothing is rebuilt, the preview warns", async () => {
    resetFakeCloud({});
    const previous = await previousOutputs(first);
    const { run: second, warnings } = await run({}, previous);
    expect(second.ofType(INSTANCE).map((s) => [s.inputs.imageId, s.inputs.imageName])).toEqual(
      Array(3).fill([UBUNTU_OLD, undefined]),
    );
    // After `up --refresh` the state says "Image not found"; the pinned inputs do not care.
    expect(steps(second, stateAfter(first, "Image not found"))).toEqual({
      "ivy-manager-0-server": "same",
      "ivy-worker-0-server": "same",
      "ivy-worker-1-server": "same",
    });
    expect(fakeCloud().imageLookups).toEqual([{ name: "Ubuntu 22.04", mostRecent: true }]);
    expect(warnings).toEqual([
      expect.stringMatching(
        /ivy: swarmlab:image "Ubuntu 22\.04" no longer resolves in Glance.*\. The servers keep the image they booted \(0b7f2a53-.*\) and are not rebuilt/,
      ),
    ]);
    expect(await valueOf(second.exports.image as never)).toEqual({
      name: "Ubuntu 22.04",
      id: UBUNTU_OLD,
    });
  });

  it("warns, and still rebuilds nothing, when the name now means a newer upload", async () => {
    resetFakeCloud({ "Ubuntu 22.04": [UBUNTU_OLD, UBUNTU_NEW] });
    const { run: second, warnings } = await run({}, await previousOutputs(first));
    expect(Object.values(steps(second, stateAfter(first, "Ubuntu 22.04")))).toEqual(
      Array(3).fill("same"),
    );
    expect(warnings).toEqual([
      expect.stringMatching(
        /"Ubuntu 22\.04" now names another image \(7e1a9c33-.*\).*set swarmlab:imageId to its id: that replaces every server/,
      ),
    ]);
  });

  it("replaces every server when swarmlab:image changes, and says a new swarm starts", async () => {
    resetFakeCloud({ "Ubuntu 22.04": [UBUNTU_OLD], "Debian 12": [DEBIAN] });
    const { run: second, warnings } = await run(
      { image: "Debian 12" },
      await previousOutputs(first),
    );
    expect(steps(second, stateAfter(first, "Ubuntu 22.04"))).toEqual({
      "ivy-manager-0-server": "replace",
      "ivy-worker-0-server": "replace",
      "ivy-worker-1-server": "replace",
    });
    expect(warnings).toEqual([
      expect.stringMatching(
        /ivy: user-data or image changed, so every server is rebuilt.*NEW swarm/,
      ),
    ]);
  });

  it("boots swarmlab:imageId as given, with no look-up", async () => {
    resetFakeCloud({});
    const { run: second } = await run({ imageId: DEBIAN }, await previousOutputs(first));
    expect(second.ofType(INSTANCE).map((s) => s.inputs.imageId)).toEqual(Array(3).fill(DEBIAN));
    expect(fakeCloud().imageLookups).toEqual([]);
    expect(await valueOf(second.exports.image as never)).toEqual({ name: "", id: DEBIAN });
  });
});

describe("the flavor", () => {
  it("of the workers, changed, replaces every server (a new swarm) instead of resizing in place", async () => {
    resetFakeCloud({ "Ubuntu 22.04": [UBUNTU_OLD] });
    const { run: second } = await run(
      { flavor: "m1.medium", managerFlavor: "m1.small" },
      await previousOutputs(first),
    );
    expect(steps(second, stateAfter(first, "Ubuntu 22.04"))).toEqual({
      "ivy-manager-0-server": "replace",
      "ivy-worker-0-server": "replace",
      "ivy-worker-1-server": "replace",
    });
  });
});

describe("boot from volume (swarmlab:bootVolumeSize)", () => {
  // compute_instance_v2.go (v1.54.1) line 597: with block_device the provider calls
  // bootfromvolume.Create, which needs the image by id in the block device; a flavor with a
  // 0 GB disk boots from an image only under Nova's admin-only create:zero_disk_flavor policy.
  it("boots every server from a volume made from the image, looked up by id at preview", async () => {
    resetFakeCloud({ "Ubuntu 22.04": [UBUNTU_OLD] });
    const { run: bfv } = await run({ bootVolumeSize: "20" });
    expect(fakeCloud().imageLookups).toEqual([{ name: "Ubuntu 22.04" }]);
    for (const server of bfv.ofType(INSTANCE)) {
      expect(server.inputs.imageName).toBeUndefined();
      expect(server.inputs.imageId).toBeUndefined();
      expect(server.inputs.blockDevices).toEqual([
        {
          uuid: UBUNTU_OLD,
          sourceType: "image",
          destinationType: "volume",
          volumeSize: 20,
          bootIndex: 0,
          deleteOnTermination: true,
        },
      ]);
    }
    // The server reports no image when booted from a volume: the pin is the id looked up.
    expect(await valueOf(bfv.exports.image as never)).toEqual({
      name: "Ubuntu 22.04",
      id: UBUNTU_OLD,
    });
  });
});
