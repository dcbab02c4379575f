/**
 * NodeSettings: what every node of one stack shares, derived from the validated LabConfig. It is
 * the whole input of the user-data renderer, so the same settings always give the same bytes.
 */

export type StorageDriver = "overlay2" | "btrfs" | "zfs";
export type DockerSource = "docker-ce" | "distro";
/** Filesystem made on the node's Docker volume. overlay2 uses ext4 (or xfs); btrfs and zfs their own. */
export type VolumeFilesystem = "ext4" | "xfs" | "btrfs" | "zfs";

export interface StoragePlan {
  driver: StorageDriver;
  /**
   * The filesystem for /var/lib/docker on the node's Cinder volume, or undefined when Docker stays
   * on the root disk (overlay2 without `dockerVolumeSize`).
   */
  volumeFilesystem?: VolumeFilesystem;
}

export interface NodeSettings {
  /** The stack owner (student), e.g. "alice". */
  owner: string;
  /** The image's login user; added to the docker group. */
  sshUser: string;
  dockerSource: DockerSource;
  storage: StoragePlan;
  /** Daemon MTU: the tenant network's MTU. Overlay networks get mtu - 50 (VXLAN header). */
  mtu: number;
  /** Swarm default address pool for overlay networks; chosen not to overlap the node subnet. */
  swarmAddressPool: string;
  /** Extra daemon.json keys from `swarmlab:daemonConfig`, already validated (no owned keys). */
  daemonConfig: Record<string, unknown>;
  /** `swarmlab:bootTimeoutSeconds`: the node-side deadlines are derived from it (cloudinit.ts). */
  bootTimeoutSeconds: number;
}

/** VXLAN adds 50 bytes: overlay networks must be 50 below the underlay MTU. */
export const VXLAN_OVERHEAD = 50;

export function overlayMtu(mtu: number): number {
  return mtu - VXLAN_OVERHEAD;
}
