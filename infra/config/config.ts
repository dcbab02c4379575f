/**
 * LabConfig: the validated, read-only configuration of one student's cluster, and its defaults.
 * `readLabConfig` reads the `swarmlab:` namespace of the current stack; all checking is done by
 * the pure `parseLabConfig` in validate.ts so it can be tested without Pulumi.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackExternals } from "./stack-externals";
import type { StackChecks, StackChoice } from "./stacks-config";
import { ConfigProblem, parseLabConfig } from "./validate";
import { CONFIG_KEYS, CONFIG_NAMESPACE } from "./keys";
import type { DockerSource, StorageDriver } from "./settings";
import type { Cloud } from "./local-cloud";

export { CONFIG_NAMESPACE };

export interface LabConfig {
  /**
   * Where the nodes run: "openstack" (servers on the project's OpenStack) or "docker" (system
   * containers on the Docker engine of the machine running pulumi, infra/local). Default openstack.
   */
  readonly cloud: Cloud;
  /**
   * The local cloud only: added to every port published on 127.0.0.1 (managers' SSH 2222+i,
   * the Docker API 2376, the registry 5000; infra/config/local-ports.ts). Default 0.
   */
  readonly localPortOffset: number;
  /** Student or group this cluster belongs to; part of every resource name. Default: stack name. */
  readonly owner: string;
  /** Swarm managers: 1, 3, 5 or 7. Default 1. */
  readonly managers: number;
  /** Swarm workers: 0 to 50. Default 2. */
  readonly workers: number;
  /** Glance image name. Default "Ubuntu 22.04". */
  readonly image: string;
  /**
   * Glance image id; wins over `image`. Default: none (the image named by `image`, resolved on
   * the first deployment and pinned by id from then on: infra/nodes/image.ts).
   */
  readonly imageId?: string;
  /**
   * GiB of a boot volume made from the image per server (boot from volume), for flavors with a
   * 0 GB disk, which Nova boots from an image only under an admin-only policy. Default: none,
   * the server boots on the flavor's disk.
   */
  readonly bootVolumeSize?: number;
  /**
   * Metadata on a config drive too, for networks where Nova's metadata service cannot be reached
   * (no router and no isolated metadata). cloud-init reads either source the same way. Default
   * false.
   */
  readonly configDrive: boolean;
  /** The image's login user. Default "ubuntu". */
  readonly sshUser: string;
  /** Nova flavor of the workers (and managers unless managerFlavor). Default "m1.small". */
  readonly flavor: string;
  /** Nova flavor of the managers. Default: flavor. */
  readonly managerFlavor: string;
  /** External network: router gateway and floating IP pool. Default "public". */
  readonly externalNetwork: string;
  /** An existing network to use instead of creating one. Default: create one. */
  readonly network?: string;
  /**
   * Subnet of the created network, from which the swarm pool is chosen. Default 10.42.0.0/24.
   * With `network`, the existing network's real subnet (existing-network.ts).
   */
  readonly cidr: string;
  /** DNS servers of the created subnet. Default: none (Neutron's DHCP resolver). */
  readonly dnsNameservers: readonly string[];
  /** Who may reach the nodes: SSH, ICMP, the registry (5000) and the Docker API (2376). Required. */
  readonly allowedCidrs: readonly string[];
  /** Docker storage driver. Default overlay2. */
  readonly storageDriver: StorageDriver;
  /** Size in GiB of a Cinder volume per node for /var/lib/docker. Required for btrfs and zfs. */
  readonly dockerVolumeSize?: number;
  /** Filesystem of the Docker volume under overlay2: ext4 or xfs. Default ("" in Pulumi.yaml) ext4. */
  readonly dockerVolumeFilesystem: "ext4" | "xfs";
  /** Where Docker comes from: Docker's apt repository or the distribution. Default docker-ce. */
  readonly dockerSource: DockerSource;
  /** Daemon MTU. Default: the tenant network's MTU. */
  readonly mtu?: number;
  /** Extra daemon.json keys. Default none. */
  readonly daemonConfig: Readonly<Record<string, unknown>>;
  /**
   * Swarm default address pool, chosen from the node subnet alone (never from allowedCidrs:
   * it is in the user-data, and a firewall key must not replace the servers).
   */
  readonly swarmAddressPool: string;
  /** Rotate both join tokens once every node has joined. Default true; false opts out. */
  readonly rotateJoinTokens: boolean;
  /** Swarm autolock: Raft keys encrypted at rest; the unlock key is a secret output. Default false. */
  readonly autolock: boolean;
  /**
   * Deadline T in seconds of each wait (SSH to manager-0, its bootstrap, the ready gate) and of
   * a node's join; the node's volume and dockerd waits get min(300,T) and min(180,T). Default 900.
   */
  readonly bootTimeoutSeconds: number;
  /** Accepts one manager removal that could lose quorum, e.g. "3->1". Default: none. */
  readonly confirmManagerRemoval?: string;
  /** Image of the lab registry (distribution 2.x). Default "registry:2". */
  readonly registryImage: string;
  /**
   * With cloud docker: the image the node containers boot, on the Docker engine (or pullable by
   * it), instead of the one built from infra/local/image/. Default: none, the recipe is built.
   */
  readonly localImage?: string;
  /** Application stacks to deploy, with their overrides. Default: hostname. */
  readonly stacks: readonly StackChoice[];
  /** Folders of stacks beside the built-in stacks/, relative to the project root. Default none. */
  readonly stacksDirs: readonly string[];
  /** External secrets, networks and node labels the stacks use, created for them. Default none. */
  readonly stackExternals: StackExternals;
}

export { CONFIG_KEYS } from "./keys";
export type { ConfigKey } from "./keys";

/** Formats one problem the way Pulumi prints input errors: property, then reason. */
export function toInputPropertiesError(
  problems: readonly ConfigProblem[],
): pulumi.InputPropertiesError {
  return new pulumi.InputPropertiesError({
    message:
      `swarmlab configuration has ${problems.length} problem${problems.length === 1 ? "" : "s"}; ` +
      "nothing was created. Fix them with `pulumi config set` (or in Pulumi.<stack>.yaml):\n" +
      problems.map((p) => `  - ${CONFIG_NAMESPACE}:${p.key}: ${p.reason}`).join("\n"),
    errors: problems.map((p) => ({
      propertyPath: `${CONFIG_NAMESPACE}:${p.key}`,
      reason: p.reason,
    })),
  });
}

/**
 * Reads and validates the stack's configuration. Throws one InputPropertiesError listing every
 * problem before any resource is registered; prints warnings (e.g. 0.0.0.0/0) through Pulumi.
 */
export function readLabConfig(stackName = pulumi.getStack(), checkStacks?: StackChecks): LabConfig {
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  const raw: Record<string, string | undefined> = {};
  for (const key of CONFIG_KEYS) raw[key] = config.get(key);
  // Every other key of the namespace too, so that parseLabConfig refuses it (a typo the program
  // would otherwise ignore). pulumi.Config can only get keys by name; allConfig lists them all.
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
    const key = fullKey.slice(prefix.length);
    if (fullKey.startsWith(prefix) && !(key in raw)) raw[key] = config.get(key);
  }
  const result = parseLabConfig(raw, stackName, checkStacks);
  if (!result.ok) throw toInputPropertiesError(result.problems);
  for (const warning of result.warnings) pulumi.log.warn(`${CONFIG_NAMESPACE}:${warning}`);
  return result.config;
}
