/**
 * The keys of the `swarmlab:` namespace. A file of its own so validate.ts can check for unknown
 * keys without importing config.ts (which imports validate.ts).
 */
export const CONFIG_NAMESPACE = "swarmlab";

/**
 * Every key of the namespace, in the order Pulumi.yaml declares them. `daemonConfig` and
 * `stackOverrides` are not declared there (they are maps, see Pulumi.yaml) but are settings too.
 */
export const CONFIG_KEYS = [
  "owner",
  "managers",
  "workers",
  "image",
  "imageId",
  "bootVolumeSize",
  "configDrive",
  "sshUser",
  "flavor",
  "managerFlavor",
  "externalNetwork",
  "network",
  "cidr",
  "dnsNameservers",
  "allowedCidrs",
  "storageDriver",
  "dockerVolumeSize",
  "dockerVolumeFilesystem",
  "dockerSource",
  "mtu",
  "daemonConfig",
  "rotateJoinTokens",
  "autolock",
  "bootTimeoutSeconds",
  "confirmManagerRemoval",
  "registryImage",
  "stacks",
  "stackOverrides",
  "stacksDir",
  "stackExternals",
  "cloud",
  "localImage",
  "localPortOffset",
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

export function isConfigKey(key: string): key is ConfigKey {
  return (CONFIG_KEYS as readonly string[]).includes(key);
}
