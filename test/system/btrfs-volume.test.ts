/**
 * Scenario c: Docker's data on a "Cinder volume" (a loop device handed to the node as /dev/vdb),
 * prepared by the project's storage script at first boot. The btrfs node must run the btrfs
 * storage driver on a btrfs /var/lib/docker, and keep its data across a reboot and across a full
 * re-run of cloud-init (nothing reformatted). Then the same for overlay2 on an ext4 volume.
 */
import { remainingResources } from "./harness/cleanup";
import { execInNode, execInNodeOk } from "./harness/docker";
import { Lab } from "./harness/lab";
import { attachLoopDevice } from "./harness/loop-device";
import { SwarmCluster } from "./harness/swarm-cluster";
import { daemonFacts } from "./harness/swarm-queries";
import { prepareServiceImage } from "./harness/test-service";
import { rebootServer, rerunCloudInit } from "./harness/reboot";
import type { NodeSettings, StoragePlan } from "../../infra/settings";

const MINUTE = 60_000;

function settingsWith(storage: StoragePlan): NodeSettings {
  return {
    owner: "carol",
    sshUser: "debian",
    dockerSource: "distro",
    storage,
    mtu: 1450,
    swarmAddressPool: "10.215.0.0/16",
    daemonConfig: {},
  };
}

interface VolumeCase {
  title: string;
  scenario: string;
  subnetOctet: number;
  storage: StoragePlan;
  /** `stat -f -c %T` of /var/lib/docker. */
  filesystem: string;
}

const CASES: VolumeCase[] = [
  {
    title: "scenario c: btrfs on the node's volume",
    scenario: "c-btrfs-volume",
    subnetOctet: 215,
    storage: { driver: "btrfs", volumeFilesystem: "btrfs" },
    filesystem: "btrfs",
  },
  {
    title: "scenario c2: overlay2 on an ext4 volume",
    scenario: "c2-overlay2-ext4-volume",
    subnetOctet: 216,
    storage: { driver: "overlay2", volumeFilesystem: "ext4" },
    filesystem: "ext2/ext3",
  },
];

describe.each(CASES)("$title", (volumeCase) => {
  let lab: Lab;
  let cluster: SwarmCluster;
  let node: string;
  let serviceImageId: string;

  beforeAll(async () => {
    lab = await Lab.open(volumeCase.scenario, {
      subnetOctet: volumeCase.subnetOctet,
      mtu: 1450,
      sshUser: "debian",
    });
    cluster = new SwarmCluster(lab, {
      settings: settingsWith(volumeCase.storage),
      managers: 1,
      workers: 0,
      diskOf: async (identity) => {
        const loop = await attachLoopDevice(lab.run, identity.name, 4);
        return { kind: "block-device", hostDevice: loop.device };
      },
    });
  }, 20 * MINUTE);

  afterAll(async () => {
    await lab?.close();
    if (lab) console.log(lab.timings.write());
  }, 5 * MINUTE);

  test(
    "the node prepares its volume, runs Docker on it and forms a swarm",
    async () => {
      await lab.timings.phase("manager-0 boot to swarm active", () => cluster.bootManager0());
      node = cluster.server(cluster.manager0).container;
      await cluster.readyGate();
      const facts = await daemonFacts(node);
      expect(facts.storageDriver).toBe(volumeCase.storage.driver);
      expect(facts.dataRootFilesystem).toBe(volumeCase.filesystem);
      expect(await execInNodeOk(node, "findmnt -n -o SOURCE --target /var/lib/docker")).toBe(
        "/dev/vdb",
      );
      const dockerInfo = await execInNodeOk(
        node,
        "docker info 2>/dev/null | grep 'Storage Driver'",
      );
      expect(dockerInfo.trim()).toBe(`Storage Driver: ${volumeCase.storage.driver}`);
    },
    12 * MINUTE,
  );

  test(
    "after a plain reboot Docker never runs with its data root off the volume",
    async () => {
      const image = await prepareServiceImage([node]);
      serviceImageId = await execInNodeOk(node, `docker image inspect -f '{{.Id}}' ${image.tag}`);
      const systemState = await lab.timings.phase("plain reboot to systemd booted", () =>
        rebootServer(node),
      );
      // In a container systemd-fstab-generator skips fstab *device* entries ("Running in a
      // container, ignoring fstab device entry"), so the UUID= line storage-prepare wrote is not
      // mounted at boot here, as it would be on a VM. What must hold either way: Docker does not
      // run on the root disk in place of the volume.
      const dockerUp = (await execInNode(node, "systemctl is-active docker")).stdout.trim();
      const source = (
        await execInNode(node, "findmnt -n -o SOURCE --target /var/lib/docker")
      ).stdout.trim();
      lab.timings.note(
        "plain reboot to systemd booted",
        `system ${systemState}; docker ${dockerUp}; /var/lib/docker from ${source}`,
      );
      if (dockerUp === "active") expect(source).toBe("/dev/vdb");
      else expect(source).not.toBe("/dev/vdb");
    },
    8 * MINUTE,
  );

  test(
    "re-running cloud-init from scratch keeps the volume's data (nothing reformatted)",
    async () => {
      const filesystemUuid = await execInNodeOk(node, "blkid -p -s UUID -o value /dev/vdb");
      await lab.timings.phase("cloud-init clean + reboot to cloud-init done", () =>
        rerunCloudInit(node),
      );
      expect(await execInNodeOk(node, "blkid -p -s UUID -o value /dev/vdb")).toBe(filesystemUuid);
      const log = await execInNodeOk(
        node,
        "grep 'swarmlab\\[storage-prepare\\]' /var/log/cloud-init-output.log",
      );
      expect(log).toContain("keeping its data");
      const facts = await daemonFacts(node);
      expect(facts.storageDriver).toBe(volumeCase.storage.driver);
      expect(facts.swarmState).toBe("active");
      // The image loaded before both reboots is still there: the volume was not reformatted.
      const images = await execInNodeOk(node, "docker image ls -q --no-trunc");
      expect(images.split("\n")).toContain(serviceImageId);
      expect(await execInNodeOk(node, "findmnt -n -o SOURCE --target /var/lib/docker")).toBe(
        "/dev/vdb",
      );
    },
    10 * MINUTE,
  );

  test(
    "teardown leaves no container, volume, network or loop device behind",
    async () => {
      await lab.close();
      expect(await remainingResources(lab.run)).toEqual({
        containers: [],
        volumes: [],
        networks: [],
        loopDevices: [],
      });
    },
    5 * MINUTE,
  );
});
