/**
 * One cluster node: its port (fixed private address, security groups), an optional Cinder volume
 * for /var/lib/docker, an optional floating IP, and the server itself. Per-node facts go into
 * instance metadata (metadata.ts); the user-data is the stack-wide one, built once by the caller.
 */
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { nodeMetadata } from "../config/metadata";
import { RegistryHost, registryEndpoints } from "../config/registry-address";
import { NodeIdentity, ownerTags } from "../config/naming";
import type { ClusterNode } from "./cluster-node";

/**
 * The server arguments the provider changes in place (openstack-schema.ts): an image change
 * rebuilds the disk under the same id, a flavor change resizes with a reboot, and neither would
 * re-run the steps keyed on the server's id. swarmlab replaces the server instead.
 */
export const SERVER_REPLACE_ON_CHANGES = ["imageId", "imageName", "flavorName"] as const;

/** Outputs of a server that hold its metadata, and so a join token: secret in the state. */
export const SERVER_SECRET_OUTPUTS = ["metadata", "allMetadata"] as const;

/**
 * The boot volume: made from the image when the server is created, deleted with it. Every field
 * of a block device is ForceNew (openstack-schema.ts), so a new image replaces the server.
 */
export function bootBlockDevice(
  imageId: pulumi.Input<string>,
  sizeGib: number,
): openstack.types.input.compute.InstanceBlockDevice {
  return {
    uuid: imageId,
    sourceType: "image",
    destinationType: "volume",
    volumeSize: sizeGib,
    bootIndex: 0,
    deleteOnTermination: true,
  };
}

/**
 * The root disk on the flavor's disk, written as a block device: once a server has any block
 * device the provider sends the image only through one (compute_instance_v2.go, getImageIDFromConfig:
 * an image/local device needs imageId beside it, which the server keeps).
 */
export function localRootBlockDevice(
  imageId: pulumi.Input<string>,
): openstack.types.input.compute.InstanceBlockDevice {
  return {
    uuid: imageId,
    sourceType: "image",
    destinationType: "local",
    bootIndex: 0,
    deleteOnTermination: true,
  };
}

/**
 * The Docker volume as a block device of the server, not a separate VolumeAttach: Nova attaches
 * it before the first boot and detaches it only when it deletes the server, after the guest is
 * shut down. A VolumeAttach depends on its server, so Pulumi deleted it FIRST (destroy, or a
 * server replaced delete-first), detaching the volume from a running guest with /var/lib/docker
 * mounted on it. Never a boot device; kept on termination: the Volume resource owns it.
 */
export function dockerVolumeBlockDevice(
  volumeId: pulumi.Input<string>,
): openstack.types.input.compute.InstanceBlockDevice {
  return {
    uuid: volumeId,
    sourceType: "volume",
    destinationType: "volume",
    bootIndex: -1,
    deleteOnTermination: false,
  };
}

/**
 * How a server gets its image and disks: by id alone (no block device: the flavor's disk), or
 * with block devices when it boots from a volume or has a Docker volume.
 */
export function serverDisks(args: {
  imageId: pulumi.Input<string>;
  bootVolumeSizeGib?: number;
  dockerVolumeId?: pulumi.Input<string>;
}): Pick<openstack.compute.InstanceArgs, "imageId" | "blockDevices"> {
  const docker =
    args.dockerVolumeId === undefined ? [] : [dockerVolumeBlockDevice(args.dockerVolumeId)];
  // A server booted from a volume names its image in the block device only.
  if (args.bootVolumeSizeGib !== undefined) {
    return { blockDevices: [bootBlockDevice(args.imageId, args.bootVolumeSizeGib), ...docker] };
  }
  if (docker.length === 0) return { imageId: args.imageId };
  return { imageId: args.imageId, blockDevices: [localRootBlockDevice(args.imageId), ...docker] };
}

export interface JoinInfo {
  /** `<manager-0 private address>:2377` */
  addr: string;
  /** The join token for this node's role. */
  token: string;
}

export interface LabNodeArgs {
  identity: NodeIdentity;
  owner: string;
  flavor: string;
  /** The image by id: configured, pinned or looked up at preview (image.ts). */
  imageId: pulumi.Input<string>;
  /**
   * A value whose change replaces the server (the rebuild key: user-data, image and flavors), so
   * that an image or flavor change rebuilds every server, not only those whose own argument
   * changed: a new manager-0 starts a new swarm, which every other node must join afresh.
   */
  rebuildTrigger?: pulumi.Input<string>;
  /**
   * Boot from a volume of this many GiB made from the image (for 0 GB disk flavors). Absent:
   * boot on the flavor's disk.
   */
  bootVolumeSizeGib?: number;
  /** The metadata on a config drive too (swarmlab:configDrive). */
  configDrive?: boolean;
  keypairName: pulumi.Input<string>;
  networkId: pulumi.Input<string>;
  /** Subnet the fixed address comes from: the created one, or the existing network's looked-up one. */
  subnetId?: pulumi.Input<string>;
  securityGroupIds: pulumi.Input<string>[];
  userData: pulumi.Input<string>;
  /**
   * True for manager-0, which initialises the swarm unless `join` resolves to join info (then it
   * joins the surviving managers of an existing swarm).
   */
  init: boolean;
  /** How to join the swarm (secret); on manager-0 only when there is a swarm to join. */
  join?: pulumi.Input<JoinInfo | undefined>;
  /**
   * GiB of a Cinder volume for /var/lib/docker; absent keeps Docker on the root disk. An Output
   * so that a size the cloud cannot apply fails the preview (volume-size.ts).
   */
  dockerVolumeSize?: pulumi.Input<number>;
  /** Give the node a floating IP from this pool (managers: SSH and the swarm's front door). */
  floatingIpPool?: string;
  /** What a floating IP association must wait for (the router interface). */
  routerReady: pulumi.Resource[];
  /**
   * Servers whose replacement replaces this one too: a new manager-0 is a new swarm, and a node
   * joins a swarm only when it first boots.
   */
  replaceWith?: pulumi.Resource[];
  /** The lab CA certificate (public): the node trusts it for the registry at boot. */
  registryCa?: pulumi.Input<string>;
  /** Where the registry runs (manager-0's addresses); absent: on this node itself. */
  registryHost?: pulumi.Input<RegistryHost>;
}

export class LabNode extends pulumi.ComponentResource implements ClusterNode {
  public readonly nodeName: string;
  public readonly role: NodeIdentity["role"];
  public readonly privateIp: pulumi.Output<string>;
  public readonly publicIp: pulumi.Output<string> | undefined;
  /** Where this machine reaches the node's sshd: its floating IP (port 22). */
  public readonly sshAddress: pulumi.Output<string> | undefined;
  public readonly instanceId: pulumi.Output<string>;
  public readonly server: openstack.compute.Instance;
  /** Everything that must exist before the node can be reached over SSH. */
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: LabNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:nodes:LabNode", name, {}, opts);
    const { identity } = args;
    const tags = ownerTags(args.owner);

    const port = new openstack.networking.Port(
      `${name}-port`,
      {
        name: identity.name,
        networkId: args.networkId,
        fixedIps: args.subnetId ? [{ subnetId: args.subnetId }] : undefined,
        securityGroupIds: args.securityGroupIds,
        adminStateUp: true,
        tags,
      },
      { parent: this },
    );
    this.privateIp = port.allFixedIps.apply((ips) => ips[0]);

    const volume =
      args.dockerVolumeSize === undefined
        ? undefined
        : new openstack.blockstorage.Volume(
            `${name}-docker-volume`,
            {
              name: `${identity.name}-docker`,
              size: args.dockerVolumeSize,
              description: `/var/lib/docker of ${identity.name}`,
            },
            { parent: this },
          );

    // Allocated before the server so that its address can be in the server's own metadata.
    const floatingIp =
      args.floatingIpPool === undefined
        ? undefined
        : new openstack.networking.FloatingIp(
            `${name}-fip`,
            { pool: args.floatingIpPool, description: `${identity.name} (swarmlab)`, tags },
            { parent: this },
          );
    const registryHost =
      args.registryHost ??
      pulumi
        .all([this.privateIp, floatingIp?.address])
        .apply(([privateIp, publicIp]): RegistryHost => ({
          privateIp,
          ...(publicIp ? { publicIp } : {}),
        }));

    const metadata = pulumi
      .all([this.privateIp, args.join, volume?.id, args.registryCa, registryHost])
      .apply(([advertiseAddr, join, dockerVolumeId, caCertificate, host]) =>
        nodeMetadata({
          owner: args.owner,
          role: identity.role,
          init: args.init && !join,
          advertiseAddr,
          ...(join ? { join } : {}),
          ...(dockerVolumeId ? { dockerVolumeId } : {}),
          ...(caCertificate
            ? { registryTrust: { caCertificate, endpoints: registryEndpoints(host) } }
            : {}),
        }),
      );

    const instance = new openstack.compute.Instance(
      `${name}-server`,
      {
        name: identity.name,
        flavorName: args.flavor,
        ...serverDisks({
          imageId: args.imageId,
          bootVolumeSizeGib: args.bootVolumeSizeGib,
          dockerVolumeId: volume?.id,
        }),
        keyPair: args.keypairName,
        // Sent only when on: an absent argument is the provider's false, and leaving it out
        // keeps clusters made before the option without a diff.
        ...(args.configDrive ? { configDrive: true } : {}),
        networks: [{ port: port.id }],
        userData: args.userData,
        metadata,
        tags,
      },
      {
        parent: this,
        // The port can serve one server at a time, so a replacement must delete the old one first.
        deleteBeforeReplace: true,
        replaceWith: args.replaceWith,
        replaceOnChanges: [...SERVER_REPLACE_ON_CHANGES],
        // Metadata is boot data: cloud-init reads it once, at the server's first boot. Changed
        // on a running server it would do nothing but show a diff on every later update (e.g.
        // manager-0 getting the survivors' join facts and a manager token on the second `up`);
        // a server created later (a replacement, a heal) gets the metadata of that update.
        ignoreChanges: ["metadata"],
        // Needs a Pulumi CLI of v3.208.0 or later (the engine's replacement_trigger); the
        // replaceOnChanges above still replace a changed server on an older one.
        ...(args.rebuildTrigger !== undefined ? { replacementTrigger: args.rebuildTrigger } : {}),
        // The provider echoes the metadata, join token included, in these outputs; the engine
        // would store them in plain text (`pulumi stack export`) unless told they are secret.
        additionalSecretOutputs: [...SERVER_SECRET_OUTPUTS],
      },
    );
    this.server = instance;
    this.instanceId = instance.id;
    this.ready = [instance];

    if (floatingIp !== undefined) {
      const association = new openstack.networking.FloatingIpAssociate(
        `${name}-fip-associate`,
        { floatingIp: floatingIp.address, portId: port.id },
        { parent: this, dependsOn: args.routerReady },
      );
      this.publicIp = floatingIp.address;
      this.ready.push(association);
    } else {
      this.publicIp = undefined;
    }
    this.sshAddress = this.publicIp;

    this.nodeName = identity.name;
    this.role = identity.role;
    this.registerOutputs({ privateIp: this.privateIp, publicIp: this.publicIp });
  }
}
