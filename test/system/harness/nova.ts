/**
 * Plays nova: a "server" is a system container running systemd from the node image, with a fixed
 * address on the run's network, the node name as hostname, and a config drive seeded before boot.
 * Its settings and seed files are the local cloud's node description (infra/local/node-container.ts),
 * turned into `docker create` flags here and nowhere else.
 */
import {
  NodeContainer,
  NodeContainerDisk,
  nodeContainer,
  PublishedNodePort,
} from "../../../infra/local/node-container";
import type { NovaMetaData } from "../../../infra/local/nova-metadata";
import { sshAddress } from "../../../infra/swarm/ssh-endpoint";
import { writeConfigDrive } from "./config-drive";
import { copyIntoContainer } from "./copy-into";
import { dockerOk } from "./docker";
import { LabNetwork } from "./lab-network";
import { labelFlags, RunContext } from "./run-context";

/** Where the node keeps Docker's data: a Docker volume (root disk), or a block device as /dev/vdb. */
export type NodeDisk =
  | { kind: "root-disk" }
  /** A loop device: the node's own storage script formats and mounts it (the Cinder volume case). */
  | { kind: "block-device"; hostDevice: string };

export interface ServerSpec {
  /** Node name: the container's hostname and the swarm node name. */
  name: string;
  address: string;
  disk: NodeDisk;
  metaData: NovaMetaData;
  userData: string;
  /** Ports published on 127.0.0.1 (the local cloud's layout). Default none. */
  publishedPorts?: PublishedNodePort[];
}

export interface Server {
  name: string;
  /** Container name: the node name plus the run id, unique on the host. */
  container: string;
  address: string;
  /**
   * Where this host reaches the node's sshd: its address (port 22), or 127.0.0.1:<port> when the
   * node publishes it (the local cloud's layout), as the program's steps are given it.
   */
  sshAddress: string;
  disk: NodeDisk;
  /**
   * The node description it was created from (the builder's output): what the program hands
   * docker.Container, so a container re-created from it is what the provider's Create makes.
   */
  description: NodeContainer;
}

function rootDiskVolume(container: string): string {
  return `${container}-docker`;
}

/**
 * The node's description as `docker create` arguments: one flag per field, nothing added, so
 * the system test boots exactly what the Pulumi program declares with docker.Container.
 */
export function dockerCreateArgs(node: NodeContainer): string[] {
  return [
    "--name", node.name,
    "--hostname", node.hostname,
    "--network", node.network.name,
    "--ip", node.network.ipv4Address,
    ...node.capabilities.add.flatMap((cap) => ["--cap-add", cap]),
    ...node.capabilities.drop.flatMap((cap) => ["--cap-drop", cap]),
    ...node.securityOpts.flatMap((opt) => ["--security-opt", opt]),
    ...node.deviceCgroupRules.flatMap((rule) => ["--device-cgroup-rule", rule]),
    ...Object.entries(node.tmpfs).flatMap(([path, options]) => [
      "--tmpfs", options === "" ? path : `${path}:${options}`,
    ]),
    "--cgroupns", node.cgroupnsMode,
    ...node.mounts.flatMap((mount) => [
      "--mount",
      `type=${mount.type},source=${mount.source},target=${mount.target}` +
        (mount.readOnly ? ",readonly" : ""),
    ]),
    ...node.devices.flatMap((device) => [
      "--device", `${device.hostPath}:${device.containerPath}:${device.permissions}`,
    ]),
    "--stop-signal", node.stopSignal,
    ...node.ports.flatMap((port) => [
      "--publish", `${port.ip}:${port.external}:${port.internal}/${port.protocol}`,
    ]),
    ...Object.entries(node.labels).flatMap(([key, value]) => ["--label", `${key}=${value}`]),
    node.image,
  ]; // prettier-ignore
}

export async function createServer(
  run: RunContext,
  network: LabNetwork,
  image: string,
  spec: ServerSpec,
): Promise<Server> {
  const container = `${spec.name}-${run.id}`;
  let disk: NodeContainerDisk;
  if (spec.disk.kind === "root-disk") {
    disk = { kind: "volume", volume: rootDiskVolume(container) };
    await dockerOk(["volume", "create", ...labelFlags(run), disk.volume]);
  } else {
    disk = { kind: "block-device", hostDevice: spec.disk.hostDevice };
  }
  const node = nodeContainer({
    containerName: container,
    nodeName: spec.name,
    image,
    network: network.name,
    address: spec.address,
    userData: spec.userData,
    metaData: spec.metaData,
    disk,
    labels: run.labels,
    publishedPorts: spec.publishedPorts ?? [],
  });
  await dockerOk(["create", ...dockerCreateArgs(node)]);
  await writeConfigDrive(container, node.seedFiles);
  const ssh = node.ports.find((port) => port.internal === 22);
  return {
    name: spec.name,
    container,
    address: spec.address,
    sshAddress: ssh ? sshAddress(ssh.ip, ssh.external) : spec.address,
    disk: spec.disk,
    description: node,
  };
}

export async function startServer(server: Server): Promise<void> {
  await dockerOk(["start", server.container]);
}

/**
 * Deletes the server, like `openstack server delete`: no clean shutdown, and a root disk kept in
 * a Docker volume goes with it. A block device (a Cinder volume) stays for a next server.
 */
export async function deleteServer(server: Server): Promise<void> {
  await dockerOk(["rm", "--force", server.container]);
  if (server.disk.kind === "root-disk") {
    await dockerOk(["volume", "rm", rootDiskVolume(server.container)]);
  }
}

/** Powers the node off (systemd shuts down cleanly), like `openstack server stop`. */
export async function stopServer(server: Server): Promise<void> {
  await dockerOk(["stop", "--time", "30", server.container], { timeoutMs: 60_000 });
}

/** Puts a file into a created server's disk (root-owned), as if the image carried it. */
export async function copyIntoServer(server: Server, path: string, content: string): Promise<void> {
  await copyIntoContainer(server.container, [{ path, content }]);
}
