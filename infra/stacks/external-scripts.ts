/**
 * What the steps of swarmlab:stackExternals run (templates/stack-external.sh after lib.sh), from
 * plain values: one step per secret, per network and per labelled node, so adding or dropping one
 * replaces only its own step. The Pulumi program (externals.ts) and the system test run the same
 * strings. A secret's value is never in a script: externalSecretStdin makes the step's secret
 * stdin from it.
 */
import { SWARM_NAME } from "../config/stack-externals";
import { templateFile } from "../nodes/templates";
import { checkTimeout, RemoteScript, shellQuote } from "../swarm/remote-scripts";

/** The scripts of one external's step (ManagerStep's create and delete). */
export interface ExternalScripts {
  description: string;
  create: RemoteScript;
  delete: RemoteScript;
}

const NODE_NAME = /^[a-z0-9][a-z0-9-]*$/;
const LABEL = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*=[A-Za-z0-9_.:/@+-]*$/;

function script(preamble: string, args: string[]): RemoteScript {
  const command = ["bash", "-s", "--", ...args].map(shellQuote).join(" ");
  return {
    command,
    stdin: [preamble, templateFile("lib.sh"), templateFile("stack-external.sh")].join("\n"),
  };
}

function checkName(kind: string, name: string): string {
  if (!SWARM_NAME.test(name)) throw new Error(`${kind} name ${JSON.stringify(name)} is not valid`);
  return name;
}

export function externalSecretScripts(name: string): ExternalScripts {
  checkName("secret", name);
  return {
    description: `external secret ${name}`,
    create: script("", ["secret-create", name]),
    delete: script("", ["secret-remove", name]),
  };
}

/** The secret stdin of a secret's step: its value, base64 (any bytes survive the shell). */
export function externalSecretStdin(value: string): string {
  if (value === "") throw new Error("an external secret's value must not be empty");
  return `SWARMLAB_SECRET_VALUE=${Buffer.from(value, "utf8").toString("base64")}\n`;
}

/**
 * An overlay network with `com.docker.network.driver.mtu` = `overlayMtu` (settings.ts overlayMtu:
 * the network's MTU, 1280 to 9000 as swarmlab:mtu; the driver takes VXLAN's 50 off it itself).
 */
export function externalNetworkScripts(
  name: string,
  overlayMtu: number,
  attachable: boolean,
  timeoutSeconds: number,
): ExternalScripts {
  checkName("network", name);
  if (!Number.isInteger(overlayMtu) || overlayMtu < 1280 || overlayMtu > 9000) {
    throw new Error(`overlay MTU ${overlayMtu} is out of range (1280 to 9000)`);
  }
  return {
    description: `external network ${name}`,
    create: script("", ["network-create", name, String(overlayMtu), String(attachable)]),
    delete: script("", ["network-remove", name, checkTimeout(timeoutSeconds)]),
  };
}

/** Labels of one swarm node (its host name), e.g. `alice-worker-0`. */
export function nodeLabelScripts(
  node: string,
  labels: Readonly<Record<string, string>>,
): ExternalScripts {
  if (!NODE_NAME.test(node)) throw new Error(`node name ${JSON.stringify(node)} is not valid`);
  const entries = Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`);
  for (const entry of entries) {
    if (!LABEL.test(entry)) throw new Error(`node label ${JSON.stringify(entry)} is not valid`);
  }
  const preamble = `SWARMLAB_NODE_LABELS=${shellQuote(entries.join(" "))}`;
  return {
    description: `labels of node ${node}`,
    create: script(preamble, ["labels-add", node]),
    delete: script(preamble, ["labels-remove", node]),
  };
}
