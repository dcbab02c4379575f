/**
 * What every node of a stack will get, rendered without credentials or an OpenStack: user-data,
 * daemon.json and the instance metadata (with placeholders for what only exists at deploy time).
 * Uses the program's own renderers, so the files are the bytes `pulumi up` would send.
 */
import { renderUserData } from "../../infra/nodes/cloudinit";
import { renderDaemonJson } from "../../infra/config/daemon";
import type { LabConfig } from "../../infra/config/config";
import { MetaKey, nodeMetadata } from "../../infra/config/metadata";
import { registryEndpoints } from "../../infra/config/registry-address";
import { clusterNodes } from "../../infra/config/naming";
import { nodeSettings } from "../../infra/nodes/node-settings";
import { readableUserData } from "./user-data-view";

/** OpenStack's VXLAN default; the real value is the tenant network's, read at deploy. */
export const ASSUMED_NETWORK_MTU = 1450;

export interface RenderedFile {
  path: string;
  content: string;
}

export function renderStackFiles(config: LabConfig): RenderedFile[] {
  const settings = nodeSettings(config, ASSUMED_NETWORK_MTU);
  const userData = renderUserData(settings);
  const daemonJson = renderDaemonJson(settings);
  const nodes = clusterNodes(config.owner, config.managers, config.workers);
  const files: RenderedFile[] = [
    { path: "user-data.yaml", content: userData },
    // The scripts and daemon.json travel gzipped: the same document, decoded, for reading.
    { path: "user-data.readable.yaml", content: readableUserData(userData) },
    { path: "daemon.json", content: daemonJson },
  ];
  nodes.forEach((node, i) => {
    const meta = nodeMetadata({
      owner: config.owner,
      role: node.role,
      init: i === 0,
      advertiseAddr: "<private address of the node's port>",
      ...(i === 0
        ? {}
        : {
            join: {
              addr: "<manager-0 private address>:2377",
              token: "<join token: secret, set at deploy>",
            },
          }),
      ...(config.dockerVolumeSize !== undefined ? { dockerVolumeId: "<cinder volume id>" } : {}),
    });
    // The registry trust every node gets (nodes.ts): where the registry answers, and the lab
    // CA, which exists only once `pulumi up` made it; its chunks are shown as one placeholder.
    meta[MetaKey.registryEndpoints] = registryEndpoints({
      privateIp: "<manager-0 private address>",
      publicIp: "<manager-0 floating IP>",
    }).join(" ");
    meta[`${MetaKey.registryCaChunk}0`] =
      "<the lab CA certificate made at deploy: its base64 body in values of 255 characters, " +
      `${MetaKey.registryCaChunk}0, ${MetaKey.registryCaChunk}1, ...>`;
    files.push({
      path: `${node.name}/metadata.json`,
      content: `${JSON.stringify(meta, null, 2)}\n`,
    });
  });
  const mtuNote =
    config.mtu === undefined
      ? `MTU assumed ${ASSUMED_NETWORK_MTU} (OpenStack VXLAN default); at deploy it is the tenant network's. Set swarmlab:mtu to pin it.`
      : `MTU ${config.mtu} from swarmlab:mtu.`;
  // An existing network's subnet is looked up at deploy; offline, only `cidr` is known.
  const networkNote =
    config.network === undefined
      ? ""
      : `Network ${config.network} exists already: at deploy the overlay address pool is planned from its real subnet, not from cidr as shown here.\n`;
  files.push({
    path: "README.txt",
    content:
      `Rendered for owner ${config.owner}: ${config.managers} manager(s), ${config.workers} worker(s).\n` +
      `Every node gets user-data.yaml (it embeds daemon.json); per-node facts are in <node>/metadata.json.\n` +
      `user-data.readable.yaml is the same document with its compressed files decoded, for reading.\n` +
      `${mtuNote}\n` +
      networkNote,
  });
  return files;
}
