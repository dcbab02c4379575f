/**
 * One node of the local cloud: a named volume for /var/lib/docker and a system container from
 * the node description, seeded with the stack's user-data and the node's nova metadata. It has
 * what the steps above the nodes use of an OpenStack LabNode (nodes/nodes.ts): name, role,
 * addresses, an id that changes with the container, and what must exist before SSH answers.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { nodeMetadata } from "../config/metadata";
import { NodeIdentity } from "../config/naming";
import { RegistryHost, registryEndpoints } from "../config/registry-address";
import type { JoinInfo } from "../nodes/nodes";
import { sshAddress } from "../swarm/ssh-endpoint";
import { containerArgs } from "./container-args";
import { nodeContainer, PUBLISH_ADDRESS } from "./node-container";
import { novaMetaData } from "./nova-metadata";
import { localPublishedPorts } from "./ports";
import type { ClusterNode } from "../nodes/cluster-node";

/** The label on every Docker object of a stack: `docker ps -a --filter label=...` lists them. */
export const OWNER_LABEL = "org.swarmlab.owner";

export interface LocalNodeArgs {
  identity: NodeIdentity;
  owner: string;
  image: pulumi.Input<string>;
  network: pulumi.Input<string>;
  address: string;
  userData: pulumi.Input<string>;
  sshPublicKey: pulumi.Input<string>;
  init: boolean;
  join?: pulumi.Input<JoinInfo | undefined>;
  rebuildTrigger?: pulumi.Input<string>;
  replaceWith?: pulumi.Resource[];
  registryCa?: pulumi.Input<string>;
  registryHost?: pulumi.Input<RegistryHost>;
  /** swarmlab:localPortOffset: added to every port published on 127.0.0.1. Default 0. */
  portOffset?: number;
}

/** cloud-init's instance id: stable per stack and node (a new container is a new root disk anyway). */
export function localInstanceUuid(owner: string, node: string): string {
  const hex = createHash("sha256").update(`swarmlab ${owner} ${node}`).digest("hex");
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20, 32),
  ].join("-");
}

export class LocalNode extends pulumi.ComponentResource implements ClusterNode {
  public readonly nodeName: string;
  public readonly role: NodeIdentity["role"];
  public readonly privateIp: pulumi.Output<string>;
  /** The host this machine reaches the node's published ports at: 127.0.0.1 (managers only). */
  public readonly publicIp: pulumi.Output<string> | undefined;
  /** Where this machine reaches the node's sshd: "127.0.0.1:<published port>" (managers only). */
  public readonly sshAddress: pulumi.Output<string> | undefined;
  public readonly instanceId: pulumi.Output<string>;
  public readonly server: docker.Container;
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: LocalNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:local:LocalNode", name, {}, opts);
    const { identity } = args;
    const labels = { [OWNER_LABEL]: args.owner };
    const volume = new docker.Volume(
      `${name}-docker-volume`,
      {
        name: `${identity.name}-docker`,
        labels: Object.entries(labels).map(([label, value]) => ({ label, value })),
      },
      { parent: this },
    );
    const ports = localPublishedPorts(identity, args.portOffset ?? 0);
    const registryHost =
      args.registryHost ??
      pulumi.output<RegistryHost>({
        privateIp: args.address,
        ...(ports.length > 0 ? { publicIp: PUBLISH_ADDRESS } : {}),
      });
    const metaData = pulumi
      .all([args.join, args.registryCa, registryHost, args.sshPublicKey])
      .apply(([join, caCertificate, host, publicKey]) =>
        novaMetaData(
          identity.name,
          nodeMetadata({
            owner: args.owner,
            role: identity.role,
            init: args.init && !join,
            advertiseAddr: args.address,
            ...(join ? { join } : {}),
            ...(caCertificate
              ? { registryTrust: { caCertificate, endpoints: registryEndpoints(host) } }
              : {}),
          }),
          publicKey,
          localInstanceUuid(args.owner, identity.name),
        ),
      );
    // The join token is in the metadata, and so in the seed file uploaded into the container.
    const spec = pulumi
      .all([args.image, args.network, args.userData, pulumi.secret(metaData), volume.name])
      .apply(([image, network, userData, meta, volumeName]) =>
        containerArgs(
          nodeContainer({
            containerName: identity.name,
            nodeName: identity.name,
            image,
            network,
            address: args.address,
            userData,
            metaData: meta,
            disk: { kind: "volume", volume: volumeName },
            labels,
            publishedPorts: ports,
          }),
        ),
      );
    const container = new docker.Container(`${name}-container`, liftArgs(spec), {
      parent: this,
      deleteBeforeReplace: true,
      replaceWith: args.replaceWith,
      // As a server's metadata on OpenStack (nodes.ts): boot data, read once at first boot.
      ignoreChanges: ["uploads"],
      ...(args.rebuildTrigger !== undefined ? { replacementTrigger: args.rebuildTrigger } : {}),
      additionalSecretOutputs: ["uploads"],
    });
    this.server = container;
    this.instanceId = container.id;
    this.ready = [container];
    this.privateIp = pulumi.output(args.address);
    const ssh = ports.find((port) => port.containerPort === 22);
    this.publicIp = ssh ? pulumi.output(PUBLISH_ADDRESS) : undefined;
    this.sshAddress = ssh ? pulumi.output(sshAddress(PUBLISH_ADDRESS, ssh.hostPort)) : undefined;
    this.nodeName = identity.name;
    this.role = identity.role;
    this.registerOutputs({ privateIp: this.privateIp, publicIp: this.publicIp });
  }
}

/** The Container arguments the description sets, each an Output of the one resolved spec. */
const CONTAINER_ARG_KEYS = [
  "name",
  "image",
  "hostname",
  "networksAdvanced",
  "capabilities",
  "securityOpts",
  "deviceCgroupRules",
  "tmpfs",
  "cgroupnsMode",
  "mounts",
  "devices",
  "stopSignal",
  "labels",
  "ports",
  "uploads",
  "restart",
] as const satisfies readonly (keyof docker.ContainerArgs)[];

function liftArgs(spec: pulumi.Output<docker.ContainerArgs>): docker.ContainerArgs {
  // The spec is secret as a whole because the metadata is; only the seed files carry it.
  return Object.fromEntries(
    CONTAINER_ARG_KEYS.map((key) => {
      const value = spec.apply((args) => args[key]);
      return [key, key === "uploads" ? value : pulumi.unsecret(value)];
    }),
  ) as unknown as docker.ContainerArgs;
}
