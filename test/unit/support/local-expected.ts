/**
 * What the local cloud's node builder makes of a stack's config for one node: the Container
 * arguments the program must send (infra/local/container-args.ts over node-container.ts), built
 * here from the config as the engine passes it, so tests compare the program's registrations with
 * the builder's output rather than with a copy of it.
 */
import { containerArgs } from "../../../infra/local/container-args";
import { nodeContainer } from "../../../infra/local/node-container";
import type { NovaMetaData } from "../../../infra/local/nova-metadata";
import { localPublishedPorts } from "../../../infra/local/ports";
import type { NodeIdentity } from "../../../infra/config/naming";
import { parseLabConfig, RawConfig } from "../../../infra/config/validate";
import { renderUserData } from "../../../infra/nodes/cloudinit";
import { nodeSettings } from "../../../infra/nodes/node-settings";
import { engineConfig } from "../../../scripts/lib/engine-config";

export interface ExpectedNode {
  stack: string;
  /** The stack's Pulumi.<stack>.yaml keys. */
  keys: RawConfig;
  identity: NodeIdentity;
  /** The node image's name, as the program's docker.Image gives it. */
  image: string;
  address: string;
  /** The node's nova metadata (it holds the join facts and the key the run made). */
  metaData: NovaMetaData;
  mtu: number;
}

export function expectedContainerArgs(node: ExpectedNode) {
  const parsed = parseLabConfig(engineConfig(node.stack, node.keys), node.stack);
  if (!parsed.ok) throw new Error(`the test config of ${node.stack} must be valid`);
  const { identity } = node;
  return containerArgs(
    nodeContainer({
      containerName: identity.name,
      nodeName: identity.name,
      image: node.image,
      network: `${node.stack}-swarmlab`,
      address: node.address,
      userData: renderUserData(nodeSettings(parsed.config, node.mtu)),
      metaData: node.metaData,
      disk: { kind: "volume", volume: `${identity.name}-docker` },
      labels: { "org.swarmlab.owner": node.stack },
      publishedPorts: localPublishedPorts(identity),
    }),
  );
}
