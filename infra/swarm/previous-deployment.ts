/**
 * The previous deployment of this same stack, read through a self-referencing StackReference (it
 * reads the stack's last recorded outputs; on the first deployment there are none). The ready gate
 * needs it on a scale-down: Pulumi deletes the removed nodes only after the gate, and the program
 * of this update no longer knows their addresses.
 */
import * as pulumi from "@pulumi/pulumi";

/** A node as the stack output `nodes` lists it. */
export interface PreviousNode {
  name: string;
  privateIp: string;
}

/** The `nodes` output of the previous deployment; anything unexpected there counts as none. */
export function parsePreviousNodes(value: unknown): PreviousNode[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    const node = (item ?? {}) as Record<string, unknown>;
    return typeof node.name === "string" && typeof node.privateIp === "string"
      ? [{ name: node.name, privateIp: node.privateIp }]
      : [];
  });
}

/** The nodes of this stack's previous deployment, none on the first one. */
export function previousNodes(
  name: string,
  opts: pulumi.CustomResourceOptions,
): pulumi.Output<PreviousNode[]> {
  const stack = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
  const self = new pulumi.StackReference(name, { name: stack }, opts);
  return self.getOutput("nodes").apply(parsePreviousNodes);
}
