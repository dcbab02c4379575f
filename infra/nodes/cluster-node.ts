/**
 * A node as the steps above the nodes see it, on either cloud: an OpenStack server (LabNode,
 * nodes.ts) or a system container of the local cloud (LocalNode, infra/local/local-node.ts).
 * The swarm steps, the host-key pins and the ready gate use these fields and nothing else, which
 * is what lets both clouds share them.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { NodeIdentity } from "../config/naming";

export interface ClusterNode {
  readonly nodeName: string;
  readonly role: NodeIdentity["role"];
  readonly privateIp: pulumi.Output<string>;
  /** Where this machine reaches the node: a floating IP, or 127.0.0.1 (managers only). */
  readonly publicIp: pulumi.Output<string> | undefined;
  /** Where this machine reaches the node's sshd: "host" (port 22) or "host:port" (managers only). */
  readonly sshAddress: pulumi.Output<string> | undefined;
  /** Changes when the node is created again: the steps keyed on it run again. */
  readonly instanceId: pulumi.Output<string>;
  /** The server or container itself (replaceWith, dependsOn). */
  readonly server: pulumi.CustomResource;
  /** Everything that must exist before the node can be reached over SSH. */
  readonly ready: pulumi.Resource[];
}
