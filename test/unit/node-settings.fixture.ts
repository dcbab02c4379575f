/** NodeSettings fixtures shared by the renderer tests: the full matrix the tool supports. */
import { DockerSource, NodeSettings, StoragePlan } from "../../infra/config/settings";

export const STORAGE_PLANS: StoragePlan[] = [
  { driver: "overlay2" },
  { driver: "overlay2", volumeFilesystem: "ext4" },
  { driver: "overlay2", volumeFilesystem: "xfs" },
  { driver: "btrfs", volumeFilesystem: "btrfs" },
  { driver: "zfs", volumeFilesystem: "zfs" },
];

export const DOCKER_SOURCES: DockerSource[] = ["docker-ce", "distro"];

export function nodeSettings(overrides: Partial<NodeSettings> = {}): NodeSettings {
  return {
    owner: "alice",
    sshUser: "debian",
    dockerSource: "distro",
    storage: { driver: "overlay2" },
    mtu: 1450,
    swarmAddressPool: "10.20.0.0/16",
    daemonConfig: {},
    bootTimeoutSeconds: 900,
    ...overrides,
  };
}

/** Every storage plan with every Docker source, named for test titles. */
export const SETTINGS_MATRIX: [string, NodeSettings][] = STORAGE_PLANS.flatMap((storage) =>
  DOCKER_SOURCES.map((dockerSource): [string, NodeSettings] => [
    `${storage.driver} on ${storage.volumeFilesystem ?? "root disk"}, ${dockerSource}`,
    nodeSettings({ storage, dockerSource }),
  ]),
);
