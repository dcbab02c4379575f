/**
 * The node's description (node-container.ts) as @pulumi/docker's Container arguments, field by
 * field, nothing added but what the provider needs to keep a system container running: the
 * system test's `docker create` (test/system/harness/nova.ts) is the other translation.
 */
import type * as docker from "@pulumi/docker";
import type { NodeContainer } from "./node-container";

export function containerArgs(node: NodeContainer): docker.ContainerArgs {
  return {
    name: node.name,
    image: node.image,
    hostname: node.hostname,
    networksAdvanced: [{ name: node.network.name, ipv4Address: node.network.ipv4Address }],
    capabilities: { adds: node.capabilities.add, drops: node.capabilities.drop },
    securityOpts: node.securityOpts,
    deviceCgroupRules: node.deviceCgroupRules,
    tmpfs: node.tmpfs,
    cgroupnsMode: node.cgroupnsMode,
    mounts: node.mounts.map((mount) => ({
      type: mount.type,
      source: mount.source,
      target: mount.target,
      readOnly: mount.readOnly,
    })),
    devices: node.devices.map((device) => ({ ...device })),
    stopSignal: node.stopSignal,
    labels: Object.entries(node.labels).map(([label, value]) => ({ label, value })),
    ports: node.ports.map((port) => ({ ...port })),
    // Written into the created container before it starts: the config drive's seed.
    uploads: node.seedFiles.map((file) => ({ file: file.path, content: file.content })),
    // A VM comes back after the host reboots; a node stopped by hand stays stopped.
    restart: "unless-stopped",
  };
}
