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
  /** Daemon MTU: the tenant network's MTU. Tasks on overlay networks get mtu - 50 (overlayMtu). */
  mtu: number;
  /** Swarm default address pool for overlay networks; chosen not to overlap the node subnet. */
  swarmAddressPool: string;
  /** Extra daemon.json keys from `swarmlab:daemonConfig`, already validated (no owned keys). */
  daemonConfig: Record<string, unknown>;
  /** `swarmlab:bootTimeoutSeconds`: the node-side deadlines are derived from it (cloudinit.ts). */
  bootTimeoutSeconds: number;
}

/** VXLAN adds 50 bytes to each overlay packet: the inner Ethernet header, VXLAN, UDP, outer IPv4. */
export const VXLAN_OVERHEAD = 50;

/**
 * The overlay MTU: the value swarmlab gives `com.docker.network.driver.mtu` on overlay networks
 * (the ingress, every stack network that sets none, stackExternals' networks) and what
 * ${SWARMLAB_OVERLAY_MTU} stands for in a compose file. It is the network's own MTU, not 50 less:
 * Docker's overlay driver takes VXLAN's 50 bytes off the option itself (libnetwork
 * drivers/overlay, maxMTU: the option, or 1500 without one, less 50, and on an `encrypted`
 * network less the ESP expansion too). Measured on dockerd 20.10 (Debian 12's docker.io): option
 * 1450 gives a task 1400; no option, 1450 (too big for a 1450 network); option 1400, 1350;
 * option 1450 with `encrypted`, 1372.
 */
export function overlayMtu(networkMtu: number): number {
  return networkMtu;
}

/** The MTU a task's interface gets on an overlay network (not `encrypted`) at overlayMtu. */
export function overlayTaskMtu(networkMtu: number): number {
  return networkMtu - VXLAN_OVERHEAD;
}
