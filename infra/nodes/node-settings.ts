/**
 * LabConfig -> NodeSettings: the one place that decides what the nodes get from the config.
 */
import type { LabConfig } from "../config/config";
import type { NodeSettings, StoragePlan } from "../config/settings";

export function storagePlan(config: LabConfig): StoragePlan {
  switch (config.storageDriver) {
    case "btrfs":
      return { driver: "btrfs", volumeFilesystem: "btrfs" };
    case "zfs":
      return { driver: "zfs", volumeFilesystem: "zfs" };
    case "overlay2":
      return config.dockerVolumeSize === undefined
        ? { driver: "overlay2" }
        : { driver: "overlay2", volumeFilesystem: config.dockerVolumeFilesystem };
  }
}

/** `networkMtu` is the tenant network's MTU; `swarmlab:mtu` overrides it. */
export function nodeSettings(config: LabConfig, networkMtu: number): NodeSettings {
  return {
    owner: config.owner,
    sshUser: config.sshUser,
    dockerSource: config.dockerSource,
    storage: storagePlan(config),
    mtu: config.mtu ?? networkMtu,
    swarmAddressPool: config.swarmAddressPool,
    daemonConfig: { ...config.daemonConfig },
    bootTimeoutSeconds: config.bootTimeoutSeconds,
  };
}
