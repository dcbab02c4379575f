/**
 * Scenario c: Docker's data on a "Cinder volume" (a loop device handed to the node as /dev/vdb),
 * prepared by the project's storage script at first boot. The btrfs node must run the btrfs
 * storage driver on a btrfs /var/lib/docker, and keep its data across a reboot and across a full
 * re-run of cloud-init (nothing reformatted). A replacement server on the same volume keeps the
 * images but not the old server's swarm identity. btrfs runs on Debian 12 and 13; then the same
 * for overlay2 on an ext4 volume (Debian 12).
 */
import {
  closeScenario,
  openScenario,
  SCENARIO_CLOSE_TIMEOUT_MS,
  SCENARIO_OPEN_TIMEOUT_MS,
} from "./harness/scenario";
import { testTeardownLeavesNothing } from "./harness/teardown-test";
import { TEST_STACKS, testStackSettings } from "./harness/test-stack";
import { execInNode, execInNodeOk } from "./harness/docker";
import { Lab } from "./harness/lab";
import { attachLoopDevice } from "./harness/loop-device";
import type { NodeDisk } from "./harness/nova";
import { DEBIAN_12, DEBIAN_13, NodeRelease } from "./harness/releases";
import { SwarmCluster } from "./harness/swarm-cluster";
import { daemonFacts } from "./harness/swarm-queries";
import { prepareServiceImage } from "./harness/test-service";
import { rebootServer, rerunCloudInit } from "./harness/reboot";
import type { RawConfig } from "../../infra/config/validate";

const MINUTE = 60_000;

const LAB_MTU = 1450;

interface VolumeCase {
  title: string;
  scenario: string;
  subnetOctet: number;
  release: NodeRelease;
  /** The stack config that asks for this storage. */
  config: RawConfig;
  /** The storage driver `docker info` must report. */
  driver: string;
  /** `stat -f -c %T` of /var/lib/docker. */
  filesystem: string;
}

const CASES: VolumeCase[] = [
  {
    title: "scenario c on Debian 12: btrfs on the node's volume",
    scenario: "c-btrfs-volume-bookworm",
    subnetOctet: 215,
    release: DEBIAN_12,
    config: { ...TEST_STACKS.btrfsVolume, image: DEBIAN_12.image },
    driver: "btrfs",
    filesystem: "btrfs",
  },
  {
    title: "scenario c on Debian 13: btrfs on the node's volume",
    scenario: "c-btrfs-volume-trixie",
    subnetOctet: 219,
    release: DEBIAN_13,
    config: { ...TEST_STACKS.btrfsVolume, image: DEBIAN_13.image },
    driver: "btrfs",
    filesystem: "btrfs",
  },
  {
    title: "scenario c2 on Debian 12: overlay2 on an ext4 volume",
    scenario: "c2-overlay2-ext4-volume-bookworm",
    subnetOctet: 216,
    release: DEBIAN_12,
    config: { ...TEST_STACKS.overlay2Ext4Volume, image: DEBIAN_12.image },
    driver: "overlay2",
    filesystem: "ext2/ext3",
  },
];

describe.each(CASES)("$title", (volumeCase) => {
  let lab: Lab;
  let cluster: SwarmCluster;
  let node: string;
  let serviceImageId: string;
  let filesystemUuid: string;
  let firstSwarmNodeId: string;
  const volumes = new Map<string, NodeDisk>();

  beforeAll(async () => {
    ({ lab, cluster } = await openScenario(
      volumeCase.scenario,
      volumeCase.subnetOctet,
      {
        settings: testStackSettings("carol", LAB_MTU, volumeCase.config),
        managers: 1,
        workers: 0,
        // A node's volume is its own resource, as in Cinder: a replacement server gets the same one.
        diskOf: async (identity, { run }) => {
          let disk = volumes.get(identity.name);
          if (!disk) {
            const loop = await attachLoopDevice(run, identity.name, 4);
            disk = { kind: "block-device", hostDevice: loop.device };
            volumes.set(identity.name, disk);
          }
          return disk;
        },
      },
      volumeCase.release,
    ));
  }, SCENARIO_OPEN_TIMEOUT_MS);

  afterAll(() => closeScenario(lab), SCENARIO_CLOSE_TIMEOUT_MS);

  test(
    "the node prepares its volume, runs Docker on it and forms a swarm",
    async () => {
      await lab.timings.phase("manager-0 boot to swarm active", () => cluster.bootManager0());
      node = cluster.server(cluster.manager0).container;
      await cluster.readyGate();
      const facts = await daemonFacts(node);
      expect(facts.storageDriver).toBe(volumeCase.driver);
      expect(facts.dataRootFilesystem).toBe(volumeCase.filesystem);
      firstSwarmNodeId = facts.swarmNodeId;
      expect(await execInNodeOk(node, "findmnt -n -o SOURCE --target /var/lib/docker")).toBe(
        "/dev/vdb",
      );
      const dockerInfo = await execInNodeOk(
        node,
        "docker info 2>/dev/null | grep 'Storage Driver'",
      );
      expect(dockerInfo.trim()).toBe(`Storage Driver: ${volumeCase.driver}`);
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
      // Not even a failed start may write to the root disk in the volume's place: the next
      // mount would hide those files (storage-prepare then refuses to mount).
      if (source !== "/dev/vdb") {
        const strayFiles = await execInNodeOk(node, "find /var/lib/docker -mindepth 1 ! -type d");
        expect(strayFiles).toBe("");
      }
    },
    8 * MINUTE,
  );

  test(
    "re-running cloud-init from scratch keeps the volume's data (nothing reformatted)",
    async () => {
      filesystemUuid = await execInNodeOk(node, "blkid -p -s UUID -o value /dev/vdb");
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
      expect(facts.storageDriver).toBe(volumeCase.driver);
      expect(facts.swarmState).toBe("active");
      // The same server: it keeps its place in the swarm.
      expect(facts.swarmNodeId).toBe(firstSwarmNodeId);
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
    "a replacement server on the same volume keeps the images and joins the swarm as itself",
    async () => {
      const previousNodeId = (await daemonFacts(node)).swarmNodeId;
      await lab.timings.phase("replacement server on the volume to swarm active", () =>
        cluster.replaceServer(cluster.manager0),
      );
      node = cluster.server(cluster.manager0).container;
      const gate = await cluster.readyGate();
      expect(gate.map((n) => n.name)).toEqual([cluster.manager0.name]);
      expect(await execInNodeOk(node, "blkid -p -s UUID -o value /dev/vdb")).toBe(filesystemUuid);
      const facts = await daemonFacts(node);
      expect(facts.storageDriver).toBe(volumeCase.driver);
      // The old server's swarm identity was set aside: a new manager-0 starts a new swarm.
      expect(facts.swarmState).toBe("active");
      expect(facts.swarmNodeId).not.toBe("");
      expect(facts.swarmNodeId).not.toBe(previousNodeId);
      const log = await execInNodeOk(
        node,
        "grep 'swarmlab\\[storage-prepare\\]' /var/log/cloud-init-output.log",
      );
      expect(log).toContain("moved it to /var/lib/docker/swarm.previous-server");
      const images = await execInNodeOk(node, "docker image ls -q --no-trunc");
      expect(images.split("\n")).toContain(serviceImageId);
    },
    10 * MINUTE,
  );

  testTeardownLeavesNothing(() => lab);
});
