/**
 * Plays nova: a "server" is a system container running systemd from the node image, with a fixed
 * address on the run's network, the node name as hostname, and a config drive seeded before boot.
 */
import { ConfigDrive, writeConfigDrive } from "./config-drive";
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
  drive: ConfigDrive;
}

export interface Server {
  name: string;
  /** Container name: the node name plus the run id, unique on the host. */
  container: string;
  address: string;
  disk: NodeDisk;
}

function rootDiskVolume(container: string): string {
  return `${container}-docker`;
}

/**
 * Flags for a container that runs systemd and its own dockerd. `--privileged` fails on this host
 * (CAP_SYS_RESOURCE is outside the bounding set), so the same effect is built from parts.
 */
const SYSTEM_CONTAINER_FLAGS = [
  "--cap-add", "ALL",
  "--cap-drop", "SYS_RESOURCE",
  "--security-opt", "seccomp=unconfined",
  "--security-opt", "apparmor=unconfined",
  "--security-opt", "systempaths=unconfined",
  "--device-cgroup-rule", "a *:* rwm",
  "--tmpfs", "/run",
  "--tmpfs", "/run/lock",
  // systemd must see its own cgroup path inside the host hierarchy it is given. Explicit because
  // Docker's default is "private" on cgroup v2 hosts (Debian 12's default), where a private
  // namespace with the host's /sys/fs/cgroup bind-mounted would hand systemd the host's root.
  "--cgroupns", "host",
  "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
  // systemd's clean shutdown: `docker stop` is then a VM's ACPI power-off, not a crash.
  "--stop-signal", "SIGRTMIN+3",
]; // prettier-ignore

export async function createServer(
  run: RunContext,
  network: LabNetwork,
  image: string,
  spec: ServerSpec,
): Promise<Server> {
  const container = `${spec.name}-${run.id}`;
  const diskFlags: string[] = [];
  if (spec.disk.kind === "root-disk") {
    const volume = rootDiskVolume(container);
    await dockerOk(["volume", "create", ...labelFlags(run), volume]);
    diskFlags.push("-v", `${volume}:/var/lib/docker`);
  } else {
    diskFlags.push("--device", `${spec.disk.hostDevice}:/dev/vdb`);
  }
  await dockerOk([
    "create",
    "--name",
    container,
    "--hostname",
    spec.name,
    "--network",
    network.name,
    "--ip",
    spec.address,
    ...SYSTEM_CONTAINER_FLAGS,
    ...diskFlags,
    ...labelFlags(run),
    image,
  ]);
  await writeConfigDrive(container, spec.drive);
  return { name: spec.name, container, address: spec.address, disk: spec.disk };
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
