/**
 * The node settings of a test stack, made the way the Pulumi program makes them: the stack's
 * `swarmlab:` keys over Pulumi.yaml's declared defaults (engineConfig, as the engine merges them)
 * -> parseLabConfig -> nodeSettings, with the lab network's MTU as the tenant network's.
 * So the system test boots nodes from a stack config, not from hand-written settings.
 */
import { nodeSettings } from "../../../infra/nodes/node-settings";
import type { NodeSettings } from "../../../infra/config/settings";
import { parseLabConfig, RawConfig } from "../../../infra/config/validate";
import { engineConfig } from "../../../scripts/lib/engine-config";

/**
 * What every test stack shares: a Debian cloud image (login user "debian") and Docker from the
 * distribution, since the lab reaches no package source but Debian's mirror.
 */
export const TEST_STACK_BASE: RawConfig = {
  image: "Debian 12",
  sshUser: "debian",
  dockerSource: "distro",
  allowedCidrs: '["192.168.0.0/16"]',
};

/**
 * The stack configs the system scenarios ask for (over TEST_STACK_BASE), and a zfs stack on an
 * Ubuntu image that the lab cannot boot (no ZFS module) but that must still pass the engine's
 * merge and validation. test/unit/engine-config.test.ts runs every one of them.
 */
export const TEST_STACKS = {
  plain: {},
  btrfsVolume: { storageDriver: "btrfs", dockerVolumeSize: "10" },
  overlay2Ext4Volume: {
    storageDriver: "overlay2",
    dockerVolumeSize: "10",
    dockerVolumeFilesystem: "ext4",
  },
  zfsUbuntu: {
    image: "Ubuntu 24.04",
    sshUser: "ubuntu",
    storageDriver: "zfs",
    dockerVolumeSize: "10",
  },
} as const satisfies Record<string, RawConfig>;

/** The keys Pulumi.<owner>.yaml of test stack `owner` would hold. */
export function testStackKeys(owner: string, config: RawConfig = {}): RawConfig {
  return { ...TEST_STACK_BASE, owner, ...config };
}

export function testStackSettings(
  owner: string,
  networkMtu: number,
  config: RawConfig = {},
): NodeSettings {
  const parsed = parseLabConfig(engineConfig(owner, testStackKeys(owner, config)), owner);
  if (!parsed.ok) {
    const problems = parsed.problems.map((p) => `swarmlab:${p.key}: ${p.reason}`).join("; ");
    throw new Error(`test stack ${owner} has a bad config: ${problems}`);
  }
  return nodeSettings(parsed.config, networkMtu);
}
