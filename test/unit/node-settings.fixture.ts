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

/**
 * A `daemonConfig` of about 2 KB: the most a teacher is expected to add (issue 25). Keys a course
 * plausibly sets, with `data-root` moved so the storage script prepares a second path too.
 */
export const LARGE_DAEMON_CONFIG: Record<string, unknown> = {
  "data-root": "/srv/docker-data",
  "log-driver": "json-file",
  "log-opts": { "max-size": "20m", "max-file": "5", compress: "true" },
  "default-address-pools": [{ base: "172.30.0.0/16", size: 24 }],
  "registry-mirrors": ["https://mirror.course.example.edu:5000"],
  "max-concurrent-downloads": 6,
  "max-concurrent-uploads": 4,
  "live-restore": false,
  "metrics-addr": "0.0.0.0:9323",
  experimental: true,
  features: { buildkit: true },
  "default-ulimits": { nofile: { Name: "nofile", Hard: 65536, Soft: 65536 } },
  labels: Array.from(
    { length: 40 },
    (_, i) => `edu.course.lab-${String(i).padStart(2, "0")}=cohort-2026-group-${i}`,
  ),
};

/**
 * The largest user-data the tool renders: the longest owner and login user validation accepts,
 * the 2 KB daemonConfig, a Cinder volume for every driver that can take one, a long boot timeout,
 * for each storage driver (overlay2, btrfs, zfs) and each Docker source.
 */
export const LARGEST_SETTINGS: [string, NodeSettings][] = STORAGE_PLANS.filter(
  (plan) => plan.volumeFilesystem !== undefined,
).flatMap((storage) =>
  DOCKER_SOURCES.map((dockerSource): [string, NodeSettings] => [
    `largest: ${storage.driver} on ${storage.volumeFilesystem}, ${dockerSource}`,
    nodeSettings({
      owner: `a${"b".repeat(29)}`,
      sshUser: `u${"v".repeat(31)}`,
      storage,
      dockerSource,
      daemonConfig: LARGE_DAEMON_CONFIG,
      bootTimeoutSeconds: 86400,
      swarmAddressPool: "172.31.240.0/20",
    }),
  ]),
);
