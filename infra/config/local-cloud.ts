/**
 * What `swarmlab:cloud: docker` (the local cloud: system containers on the Docker engine of the
 * machine running pulumi) cannot do, as config problems with the reason and the fix. Pure: the
 * machine's memory comes in as an argument (config.ts reads it).
 *
 * Settings that only mean something to OpenStack (Glance, Nova flavors, Neutron, Cinder, security
 * groups) are refused rather than ignored: a student who set them expects them to take effect.
 */
import type { ConfigKey } from "./keys";
import type { StorageDriver } from "./settings";

export const CLOUDS = ["openstack", "docker"] as const;
export type Cloud = (typeof CLOUDS)[number];

/** The machine the local cloud runs on, as far as the program can see it at preview. */
export interface LocalHost {
  /** os.totalmem() of the machine running pulumi: on a laptop that is the Docker host too. */
  totalMemoryBytes: number;
}

const GIB = 1024 ** 3;
/**
 * What one node needs, estimated: systemd, sshd, cloud-init and dockerd idle at about 300 MiB;
 * the registry, a stack's replicas and image builds bring a node to about 1 GiB.
 */
export const NODE_MEMORY_GIB = 1;
/** Left to the host itself (the desktop, the Docker engine or Docker Desktop's VM). */
export const HOST_RESERVE_GIB = 2;
/** The smallest subnet the local address plan fits (managers from .10, workers .100 to .149). */
export const LOCAL_MAX_PREFIX = 24;

/** The OpenStack-only settings that are refused when given a value other than their default. */
const OPENSTACK_DEFAULTS: readonly { key: ConfigKey; fallback: string; what: string }[] = [
  { key: "image", fallback: "Ubuntu 22.04", what: "a Glance image name" },
  { key: "flavor", fallback: "m1.small", what: "a Nova flavor" },
  { key: "externalNetwork", fallback: "public", what: "the router's and floating IPs' network" },
];
/** OpenStack-only settings refused whenever set ("unset" defaults are already removed). */
const OPENSTACK_ONLY: readonly { key: ConfigKey; what: string }[] = [
  { key: "imageId", what: "a Glance image id" },
  { key: "bootVolumeSize", what: "a Cinder boot volume" },
  { key: "managerFlavor", what: "a Nova flavor" },
  { key: "network", what: "an existing Neutron network" },
  { key: "dockerVolumeSize", what: "the size of a Cinder volume (a Docker volume has none)" },
  { key: "dockerVolumeFilesystem", what: "the filesystem made on a Cinder volume" },
];

/** The only range that reaches a local cloud's nodes: its ports are published on 127.0.0.1. */
export const LOCAL_ALLOWED_CIDR = "127.0.0.1/32";

/** Whether a raw list (JSON, as the engine stores it) holds exactly `expected`. */
function sameList(text: string, expected: readonly string[]): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return JSON.stringify(value) === JSON.stringify(expected);
  } catch {
    return false;
  }
}

export interface LocalCloudFacts {
  /** The raw values, "unset" defaults removed (validate.ts: withoutUnsetDefaults). */
  raw: Partial<Record<ConfigKey, string | undefined>>;
  storageDriver: StorageDriver;
  nodes: number;
  /** The subnet's prefix length, when cidr parsed. */
  subnetPrefix?: number;
  host: LocalHost;
}

export function localCloudProblems(facts: LocalCloudFacts): { key: ConfigKey; reason: string }[] {
  const problems: { key: ConfigKey; reason: string }[] = [];
  const { raw } = facts;
  const why = "the local cloud (swarmlab:cloud docker) has no OpenStack";
  for (const { key, fallback, what } of OPENSTACK_DEFAULTS) {
    const value = raw[key];
    if (value !== undefined && value !== fallback) {
      problems.push({
        key,
        reason:
          `is ${JSON.stringify(value)}, ${what}, but ${why}; remove it ` +
          `(\`pulumi config rm swarmlab:${key}\`)` +
          (key === "image"
            ? "; the nodes boot the node image built from infra/local/image/, or the one " +
              "named by swarmlab:localImage"
            : ""),
      });
    }
  }
  for (const { key, what } of OPENSTACK_ONLY) {
    if (raw[key] !== undefined) {
      problems.push({
        key,
        reason: `is set, which is ${what}, but ${why}; remove it (\`pulumi config rm swarmlab:${key}\`)`,
      });
    }
  }
  // Declared with the default [] (Pulumi.yaml), which the engine always passes.
  if (raw.dnsNameservers !== undefined && !sameList(raw.dnsNameservers, [])) {
    problems.push({
      key: "dnsNameservers",
      reason:
        `is ${raw.dnsNameservers}, DNS servers of a Neutron subnet, but ${why}; the nodes use ` +
        "Docker's resolver, which forwards to this machine's; remove it " +
        "(`pulumi config rm swarmlab:dnsNameservers`)",
    });
  }
  // Pulumi.yaml makes allowedCidrs required (no default), so it cannot be refused outright:
  // under the local cloud it must say the truth, that only this machine reaches the nodes.
  if (raw.allowedCidrs !== undefined && !sameList(raw.allowedCidrs, [LOCAL_ALLOWED_CIDR])) {
    problems.push({
      key: "allowedCidrs",
      reason:
        `is ${raw.allowedCidrs}, but the local cloud has no security groups: it publishes the ` +
        `managers' ports on ${LOCAL_ALLOWED_CIDR.split("/")[0]} only, so nothing else can reach ` +
        "them; set it to that alone: `pulumi config rm swarmlab:allowedCidrs && pulumi config " +
        `set --path 'swarmlab:allowedCidrs[0]' ${LOCAL_ALLOWED_CIDR}\``,
    });
  }
  if (facts.storageDriver === "zfs") {
    problems.push({
      key: "storageDriver",
      reason:
        "is zfs, which the local cloud cannot run: the nodes share the host's kernel, which " +
        "would need the zfs module, and Docker Desktop's has none; use overlay2",
    });
  }
  if (facts.storageDriver === "btrfs") {
    problems.push({
      key: "storageDriver",
      reason:
        "is btrfs, which needs a block device per node (a loop device on the Docker host); " +
        "at preview the program cannot see the host's loop devices (and Docker Desktop's VM " +
        "gives containers none), so it cannot promise one; use overlay2",
    });
  }
  if (facts.subnetPrefix !== undefined && facts.subnetPrefix > LOCAL_MAX_PREFIX) {
    problems.push({
      key: "cidr",
      reason:
        `is a /${facts.subnetPrefix}: the local cloud places managers at .10 and workers at ` +
        `.100 to .149 of the subnet, which needs at least a /${LOCAL_MAX_PREFIX}; use e.g. 10.42.0.0/24`,
    });
  }
  const memory = memoryProblem(facts.nodes, facts.host.totalMemoryBytes, THIS_MACHINE);
  if (memory !== undefined) problems.push({ key: "workers", reason: memory });
  return problems;
}

/** Whose memory a memory check counts, in its message. */
export interface MemoryHolder {
  /** "this machine", "the Docker engine". */
  name: string;
  /** What that memory is, in parentheses after the reserve. */
  what: string;
  /** Appended to the fix, e.g. how to give it more. */
  more?: string;
}

/** os.totalmem() at preview: the memory of the machine running pulumi. */
export const THIS_MACHINE: MemoryHolder = {
  name: "this machine",
  what: "the memory of the machine running pulumi, which is the Docker host on a laptop",
};

/**
 * Why `nodes` nodes do not fit in `totalMemoryBytes` at NODE_MEMORY_GIB each with HOST_RESERVE_GIB
 * kept, or undefined when they fit. For swarmlab:workers (the count a student lowers).
 */
export function memoryProblem(
  nodes: number,
  totalMemoryBytes: number,
  holder: MemoryHolder,
): string | undefined {
  const availableGib = totalMemoryBytes / GIB - HOST_RESERVE_GIB;
  const neededGib = nodes * NODE_MEMORY_GIB;
  if (neededGib <= availableGib) return undefined;
  const fit = Math.max(0, Math.floor(availableGib / NODE_MEMORY_GIB));
  return (
    `makes ${nodes} nodes, about ${neededGib} GiB at ${NODE_MEMORY_GIB} GiB a node, ` +
    `but ${holder.name} has ${(totalMemoryBytes / GIB).toFixed(1)} GiB ` +
    `(${HOST_RESERVE_GIB} GiB kept for itself; ${holder.what}); use at most ` +
    `${fit} nodes in all (managers + workers)${holder.more ?? ""}`
  );
}
