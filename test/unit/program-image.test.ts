/**
 * The image, resolved to an id at the first preview and pinned (issue 22, item 1), and the Docker
 * volume as a block device of its server (item 8), through the whole program under mocks
 * (support/program.ts). Glance is mock-cloud.ts's image list, answering `openstack.images.getImage`
 * as the provider's data source does: one image of the name is its id, none or several an error
 * (terraform-provider-openstack v1.54.1, data_source_openstack_images_image_v2.go).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  MOCK_GLANCE_IMAGES,
  names,
  ProgramRun,
  runProgram,
  swarmStdout,
  valueOf,
} from "./support/program";

const INSTANCE = "openstack:compute/instance:Instance";
const ALLOWED = JSON.stringify(["203.0.113.0/24"]);
const UBUNTU = MOCK_GLANCE_IMAGES["Ubuntu 22.04"][0];
const stdout = swarmStdout(names("noa", 1, 2));

async function deploy(config: Record<string, string>, preview = false): Promise<ProgramRun> {
  const run = await runProgram({ allowedCidrs: ALLOWED, ...config }, "noa", stdout, { preview });
  if (run.error !== undefined) throw run.error;
  return run;
}

/** The program's InputPropertiesError as `pulumi preview` prints it: one reason per property. */
function problemsOf(error: unknown): { propertyPath: string; reason: string }[] {
  expect(error).toBeInstanceOf(pulumi.InputPropertiesError);
  return (error as pulumi.InputPropertiesError).errors ?? [];
}

describe("the image on a first deployment", () => {
  it("is looked up by name at the first preview, and every server boots that id", async () => {
    const preview = await deploy({}, true);
    // Known in the preview itself: nothing the provider computes is needed for it.
    expect(preview.ofType(INSTANCE).map((s) => [s.inputs.imageId, s.inputs.imageName])).toEqual(
      Array(3).fill([UBUNTU, undefined]),
    );
    const up = await deploy({});
    expect(up.ofType(INSTANCE).map((s) => [s.inputs.imageId, s.inputs.imageName])).toEqual(
      Array(3).fill([UBUNTU, undefined]),
    );
    expect(await valueOf(up.exports.image as never)).toEqual({ name: "Ubuntu 22.04", id: UBUNTU });
  });

  it("stays on that id when the name is uploaded again: the second deployment warns and sends the same", async () => {
    const first = await deploy({});
    const newer = "9f9f9f9f-1111-4222-8333-444455556666";
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const second = await runProgram({ allowedCidrs: ALLOWED }, "noa", stdout, {
        previousOutputs: { image: await valueOf(first.exports.image as never) },
        glance: { ...MOCK_GLANCE_IMAGES, "Ubuntu 22.04": [UBUNTU, newer] },
      });
      if (second.error !== undefined) throw second.error;
      expect(second.ofType(INSTANCE).map((s) => s.inputs.imageId)).toEqual(Array(3).fill(UBUNTU));
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
        expect.stringContaining(`"Ubuntu 22.04" now names another image (${newer})`),
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it("fails the preview, creating no server, when two visible images share the name", async () => {
    const run = await runProgram({ allowedCidrs: ALLOWED, image: "Rocky 9" }, "noa", stdout, {
      preview: true,
    });
    expect(problemsOf(run.error)).toEqual([
      {
        propertyPath: "swarmlab:image",
        reason: expect.stringMatching(
          /^is "Rocky 9", which names more than one visible Glance image \(the provider said: Your query returned more than one result.*\)\. Set swarmlab:imageId to the id of the image to boot/,
        ),
      },
    ]);
    expect(run.ofType(INSTANCE)).toEqual([]);
    expect(run.ofType("openstack:networking/network:Network")).toEqual([]);
  });

  it("fails the preview when Glance has no image of that name", async () => {
    const run = await runProgram({ allowedCidrs: ALLOWED, image: "Ubuntu 26.04" }, "noa", stdout, {
      preview: true,
    });
    expect(problemsOf(run.error)).toEqual([
      {
        propertyPath: "swarmlab:image",
        reason: expect.stringMatching(/^is "Ubuntu 26\.04", which names no visible Glance image/),
      },
    ]);
    expect(run.ofType(INSTANCE)).toEqual([]);
  });

  it("boots swarmlab:imageId when two images share the name, with no look-up to fail", async () => {
    const [, second] = MOCK_GLANCE_IMAGES["Rocky 9"];
    const run = await deploy({ image: "Rocky 9", imageId: second });
    expect(run.ofType(INSTANCE).map((s) => s.inputs.imageId)).toEqual(Array(3).fill(second));
  });
});

describe("the Docker volume", () => {
  // Nova attaches a block device before the first boot and detaches it when it deletes the
  // server, after shutting the guest down (the provider sends block_device as the server's
  // block_device_mapping_v2). A separate VolumeAttach depends on its server, so Pulumi deletes it
  // first: the volume was detached from a running guest with /var/lib/docker mounted.
  it("is a block device of its server, never a separate attachment", async () => {
    const run = await deploy({ storageDriver: "btrfs", dockerVolumeSize: "20" });
    expect(run.ofType("openstack:compute/volumeAttach:VolumeAttach")).toEqual([]);
    for (const server of run.ofType(INSTANCE)) {
      const node = String(server.inputs.name);
      expect(server.inputs.imageId).toBe(UBUNTU);
      expect(server.inputs.blockDevices).toEqual([
        {
          uuid: UBUNTU,
          sourceType: "image",
          destinationType: "local",
          bootIndex: 0,
          deleteOnTermination: true,
        },
        {
          uuid: `${node}-docker-volume-id`,
          sourceType: "volume",
          destinationType: "volume",
          bootIndex: -1,
          deleteOnTermination: false,
        },
      ]);
      // Deleted after the server it is part of (the server depends on it).
      expect(server.dependsOn).toContain(`${node}-docker-volume`);
    }
  });

  it("follows the boot volume when the server boots from one", async () => {
    const run = await deploy({ dockerVolumeSize: "20", bootVolumeSize: "30" });
    const server = run.byName("noa-worker-0-server");
    expect(server.inputs.imageId).toBeUndefined();
    expect(server.inputs.blockDevices).toEqual([
      expect.objectContaining({ uuid: UBUNTU, destinationType: "volume", bootIndex: 0 }),
      expect.objectContaining({ uuid: "noa-worker-0-docker-volume-id", bootIndex: -1 }),
    ]);
  });
});
