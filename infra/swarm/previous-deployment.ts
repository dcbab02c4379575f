/**
 * The previous deployment of this same stack, read through a self-referencing StackReference (it
 * reads the stack's last recorded outputs; on the first deployment there are none). The ready gate
 * needs it on a scale-down: Pulumi deletes the removed nodes only after the gate, and the program
 * of this update no longer knows their addresses.
 */
import * as pulumi from "@pulumi/pulumi";
import { HostKeys, parseHostKeys } from "./host-key-check";
import { ImagePin, parseImagePin } from "../nodes/image";
import { parseVolumeSize } from "../nodes/volume-size";

/** A node as the stack output `nodes` lists it. */
export interface PreviousNode {
  name: string;
  privateIp: string;
  role?: string;
  /** A manager's floating IP. */
  publicIp?: string;
  /** A manager's SSH address when it is not publicIp:22 (the local cloud: 127.0.0.1:<port>). */
  sshAddress?: string;
}

/** The `nodes` output of the previous deployment; anything unexpected there counts as none. */
export function parsePreviousNodes(value: unknown): PreviousNode[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    const node = (item ?? {}) as Record<string, unknown>;
    if (typeof node.name !== "string" || typeof node.privateIp !== "string") return [];
    return [
      {
        name: node.name,
        privateIp: node.privateIp,
        ...(typeof node.role === "string" ? { role: node.role } : {}),
        ...(typeof node.publicIp === "string" ? { publicIp: node.publicIp } : {}),
        ...(typeof node.sshAddress === "string" ? { sshAddress: node.sshAddress } : {}),
      },
    ];
  });
}

/** What the program needs from this stack's previous deployment. */
export interface PreviousDeployment {
  /** Its `nodes` output; none on the first deployment. */
  nodes: pulumi.Output<PreviousNode[]>;
  /** Its `rebuildKey` output (user-data and image): a change means every server is rebuilt. */
  rebuildKey: pulumi.Output<string | undefined>;
  /**
   * Its `image` output: the image id the servers booted (infra/nodes/image.ts). A promise: the
   * program resolves the image before it declares any server.
   */
  image: Promise<ImagePin | undefined>;
  /** Its `dockerVolumeSize` output: GiB of each node's Docker volume, none without volumes. */
  dockerVolumeSize: pulumi.Output<number | undefined>;
  /** Its `hostKeys` output: the managers' pinned host keys, by floating IP; none at first. */
  hostKeys: pulumi.Output<HostKeys>;
}

/** The outputs of this stack's previous deployment, none on the first one. */
export function previousDeployment(
  name: string,
  opts: pulumi.CustomResourceOptions,
): PreviousDeployment {
  const stack = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
  const self = new pulumi.StackReference(name, { name: stack }, opts);
  return {
    nodes: self.getOutput("nodes").apply(parsePreviousNodes),
    rebuildKey: self
      .getOutput("rebuildKey")
      .apply((key: unknown) => (typeof key === "string" ? key : undefined)),
    image: self.getOutputDetails("image").then((details) => parseImagePin(details.value)),
    dockerVolumeSize: self.getOutput("dockerVolumeSize").apply(parseVolumeSize),
    hostKeys: self.getOutput("hostKeys").apply(parseHostKeys),
  };
}
