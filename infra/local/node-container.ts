/**
 * One node of the local cloud as a system container: what it runs (systemd, cloud-init, sshd; no
 * Docker until cloud-init installs it, as on a VM), how it is confined, where its Docker data
 * lives, and its config-drive seed. A pure description: the Pulumi program hands it to
 * `docker.Container` (infra/local/container-args.ts) and the system test to `docker create`
 * (test/system/harness/nova.ts), so both boot the very same node.
 */
import { NovaMetaData } from "./nova-metadata";

/** Where cloud-init's ConfigDrive datasource looks for a seed before any labelled disk. */
export const SEED_DIR = "/var/lib/cloud/seed/config_drive/openstack/latest";

/** Where the node keeps Docker's data. */
export type NodeContainerDisk =
  /** A named Docker volume on /var/lib/docker: Docker on the "root disk". */
  | { kind: "volume"; volume: string }
  /** A host block device as /dev/vdb: the node's storage script formats and mounts it (Cinder). */
  | { kind: "block-device"; hostDevice: string };

/** A node port published on the Docker host. */
export interface PublishedNodePort {
  /** The port inside the node (22 for SSH, 2376 for the Docker API, 5000 for the registry). */
  containerPort: number;
  hostPort: number;
  protocol: "tcp" | "udp";
}

export interface NodeContainerArgs {
  /** Container name, unique on the Docker host. */
  containerName: string;
  /** Node name: the hostname and the swarm node name. */
  nodeName: string;
  image: string;
  /** The lab network (a bridge) and the node's fixed address on it. */
  network: string;
  address: string;
  userData: string;
  metaData: NovaMetaData;
  disk: NodeContainerDisk;
  labels: Readonly<Record<string, string>>;
  /** Published on 127.0.0.1 only: Docker Desktop cannot route to container addresses. */
  publishedPorts: readonly PublishedNodePort[];
}

export interface NodeMount {
  type: "bind" | "volume";
  source: string;
  target: string;
  readOnly: boolean;
}

export interface NodeDevice {
  hostPath: string;
  containerPath: string;
  permissions: string;
}

export interface NodePort {
  internal: number;
  external: number;
  /** Always 127.0.0.1. */
  ip: string;
  protocol: "tcp" | "udp";
}

export interface SeedFile {
  /** Absolute path inside the container, written before the first start. */
  path: string;
  content: string;
}

export interface NodeContainer {
  name: string;
  image: string;
  hostname: string;
  network: { name: string; ipv4Address: string };
  capabilities: { add: string[]; drop: string[] };
  securityOpts: string[];
  deviceCgroupRules: string[];
  /** Mount point to tmpfs options ("" for Docker's defaults). */
  tmpfs: Record<string, string>;
  cgroupnsMode: "host";
  mounts: NodeMount[];
  devices: NodeDevice[];
  stopSignal: string;
  labels: Record<string, string>;
  ports: NodePort[];
  seedFiles: SeedFile[];
}

/** The only host address ports are published on. */
export const PUBLISH_ADDRESS = "127.0.0.1";

/** Docker's data inside the node: a volume there, or where the storage script mounts /dev/vdb. */
const DOCKER_DATA = "/var/lib/docker";
/** The device name the node's storage script formats, as a Cinder volume appears on a VM. */
const BLOCK_DEVICE = "/dev/vdb";

export function nodeContainer(args: NodeContainerArgs): NodeContainer {
  return {
    name: args.containerName,
    image: args.image,
    hostname: args.nodeName,
    network: { name: args.network, ipv4Address: args.address },
    // `--privileged` fails where CAP_SYS_RESOURCE is outside the bounding set (rootless-ish hosts,
    // some CI runners), so the same effect is built from parts; dockerd inside needs the rest.
    capabilities: { add: ["ALL"], drop: ["SYS_RESOURCE"] },
    securityOpts: ["seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined"],
    // The node's own dockerd makes device nodes for its containers and uses loop/btrfs devices.
    deviceCgroupRules: ["a *:* rwm"],
    // systemd wants /run and /run/lock on tmpfs, as on a booted VM.
    tmpfs: { "/run": "", "/run/lock": "" },
    // systemd must see its own cgroup path inside the host hierarchy it is given. Explicit because
    // Docker's default is "private" on cgroup v2 hosts, where a private namespace with the host's
    // /sys/fs/cgroup bind-mounted would hand systemd the host's root.
    cgroupnsMode: "host",
    mounts: [
      { type: "bind", source: "/sys/fs/cgroup", target: "/sys/fs/cgroup", readOnly: false },
      ...(args.disk.kind === "volume"
        ? [
            {
              type: "volume" as const,
              source: args.disk.volume,
              target: DOCKER_DATA,
              readOnly: false,
            },
          ]
        : []),
    ],
    devices:
      args.disk.kind === "block-device"
        ? [{ hostPath: args.disk.hostDevice, containerPath: BLOCK_DEVICE, permissions: "rwm" }]
        : [],
    // systemd's clean shutdown: `docker stop` is then a VM's ACPI power-off, not a crash.
    stopSignal: "SIGRTMIN+3",
    labels: { ...args.labels },
    ports: args.publishedPorts.map((port) => ({
      internal: port.containerPort,
      external: port.hostPort,
      ip: PUBLISH_ADDRESS,
      protocol: port.protocol,
    })),
    seedFiles: [
      { path: `${SEED_DIR}/meta_data.json`, content: JSON.stringify(args.metaData, null, 2) },
      { path: `${SEED_DIR}/user_data`, content: args.userData },
    ],
  };
}
