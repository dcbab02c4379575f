/**
 * What one student's bundle holds, as pure text from their stack's outputs: everything they
 * need to reach their cluster without Pulumi, its backend or the class passphrase (docs/design.md,
 * principle 12). Built from ONE stack's outputs only, so it cannot carry another student's keys.
 */
import { HostKeys, parseHostKeys } from "../../infra/swarm/host-key-check";
import { PINNED_HOST_KEY_ALGORITHM } from "../../infra/swarm/host-key-pin-provider";
import { sshEndpoint } from "../../infra/swarm/ssh-endpoint";
import { contextName, LAB_OUTPUT_KEYS, LabOutputs } from "../docker-context/plan";

/** `bundle.json`: what `npm run docker-context -- --bundle DIR` reads. */
export interface BundleData extends LabOutputs {
  format: 1;
  stack: string;
  context: string;
  managerPublicIp: string;
  /**
   * manager-0's SSH address when it is not managerPublicIp on port 22: on the local cloud
   * "127.0.0.1:<published port>" (the key of its host-key pin). Absent otherwise, and in
   * bundles of earlier versions.
   */
  managerSshAddress?: string;
  sshUser: string;
  /** Per stack of the cluster: `<service>:<port>` -> URL. */
  urls: Record<string, Record<string, string>>;
  /**
   * The secrets swarmlab made for the stacks (the `stackSecrets` output, e.g. mediawiki's
   * database password, which its installer asks for). Absent in bundles of earlier versions.
   */
  stackSecrets?: Record<string, string>;
  /**
   * The `overlayMtu` output: the value swarmlab gives com.docker.network.driver.mtu, which the
   * overlay-mtu lab check expects. Absent in bundles of earlier versions.
   */
  overlayMtu?: number;
}

export const BUNDLE_FILE = "bundle.json";
export const CONTEXT_FILE = "docker-context.tar";
export const SSH_KEY_FILE = "ssh-key";
export const SSH_CONFIG_FILE = "ssh_config";
export const KNOWN_HOSTS_FILE = "known_hosts";
export const PASSWORD_FILE = "registry-password";
export const GUIDE_FILE = "README.txt";
export const STACK_SECRETS_FILE = "stack-secrets";

/** The docker context's outputs, and what SSH needs. */
const STRINGS = [...LAB_OUTPUT_KEYS, "managerPublicIp", "sshUser", "sshPrivateKey"] as const;

export interface BundleSource {
  data: BundleData;
  sshPrivateKey: string;
  /** The managers' pinned host keys (the `hostKeys` output), by address: for known_hosts. */
  hostKeys: HostKeys;
}

/** The `stacks` output as stack -> `<service>:<port>` -> URL; anything malformed is none. */
export function stackUrls(stacks: unknown): Record<string, Record<string, string>> {
  if (typeof stacks !== "object" || stacks === null) return {};
  return Object.fromEntries(
    Object.entries(stacks as Record<string, { urls?: Record<string, string> }>).map(
      ([name, status]) => [name, { ...(status?.urls ?? {}) }],
    ),
  );
}

/**
 * manager-0's SSH address from a stack's outputs: the `sshAddress` of the first manager of the
 * `nodes` output (the local cloud's "127.0.0.1:2222"; the program lists manager-0 first), else
 * `managerPublicIp` (OpenStack: the floating IP, port 22). The key of its host-key pin.
 */
export function manager0SshAddress(outputs: Record<string, unknown>): string | undefined {
  const nodes = Array.isArray(outputs.nodes) ? (outputs.nodes as Record<string, unknown>[]) : [];
  const first = nodes.find((node) => node?.role === "manager");
  if (typeof first?.sshAddress === "string" && first.sshAddress !== "") return first.sshAddress;
  return typeof outputs.managerPublicIp === "string" ? outputs.managerPublicIp : undefined;
}

/** Where the bundle's ssh reaches manager-0: "host" (port 22) or "host:port". */
export function sshAddressOf(data: BundleData): string {
  return data.managerSshAddress ?? data.managerPublicIp;
}

/** A map of strings (the `stackSecrets` output); anything else in it is left out. */
function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null) return {};
  return Object.fromEntries(
    Object.entries(value).filter(
      (entry): entry is [string, string] => typeof entry[1] === "string",
    ),
  );
}

/** `stack-secrets`: one `NAME: value` line each, in name order. */
export function renderStackSecrets(secrets: Record<string, string>): string {
  return Object.keys(secrets)
    .sort()
    .map((name) => `${name}: ${secrets[name]}\n`)
    .join("");
}

/** The bundle's facts from a stack's outputs (secrets revealed); names what is missing. */
export function bundleSource(
  stack: string,
  outputs: Record<string, unknown>,
): BundleSource | { missing: string[] } {
  const missing: string[] = STRINGS.filter(
    (key) => typeof outputs[key] !== "string" || outputs[key] === "",
  );
  const hostKeys = parseHostKeys(outputs.hostKeys);
  // Without manager-0's pin there is nothing to check its key against: no known_hosts, no bundle.
  const manager0 = manager0SshAddress(outputs);
  if (typeof manager0 === "string" && manager0 !== "" && !hostKeys[manager0]) {
    missing.push("hostKeys (manager-0's pin)");
  }
  if (missing.length > 0) return { missing };
  const text = (key: (typeof STRINGS)[number]) => outputs[key] as string;
  return {
    sshPrivateKey: text("sshPrivateKey"),
    hostKeys,
    data: {
      format: 1,
      stack,
      context: contextName(stack),
      managerPublicIp: text("managerPublicIp"),
      ...(manager0 !== undefined && manager0 !== text("managerPublicIp")
        ? { managerSshAddress: manager0 }
        : {}),
      sshUser: text("sshUser"),
      dockerHost: text("dockerHost"),
      registry: text("registry"),
      registryInternal: text("registryInternal"),
      registryUser: text("registryUser"),
      registryPassword: text("registryPassword"),
      caCertificate: text("caCertificate"),
      clientCertificate: text("clientCertificate"),
      clientKey: text("clientKey"),
      urls: stackUrls(outputs.stacks),
      stackSecrets: stringMap(outputs.stackSecrets),
      ...(typeof outputs.overlayMtu === "number" ? { overlayMtu: outputs.overlayMtu } : {}),
    },
  };
}

/**
 * One Host entry, run from inside the bundle folder (`ssh -F ssh_config <context>`): relative
 * paths are opened from the current folder. The bundle's known_hosts holds manager-0's host key,
 * checked against its pin when the bundle was made (host-keys.ts): ssh accepts that key only
 * (`StrictHostKeyChecking yes`, the pinned algorithm only), never one it has not seen before.
 */
export function renderSshConfig(data: BundleData): string {
  const { host, port } = sshEndpoint(sshAddressOf(data), 22);
  return [
    `Host ${data.context}`,
    `  HostName ${host}`,
    // The local cloud: manager-0's sshd published on its own port of 127.0.0.1.
    ...(port !== 22 ? [`  Port ${port}`] : []),
    `  User ${data.sshUser}`,
    `  IdentityFile ${SSH_KEY_FILE}`,
    "  IdentitiesOnly yes",
    `  UserKnownHostsFile ${KNOWN_HOSTS_FILE}`,
    "  StrictHostKeyChecking yes",
    `  HostKeyAlgorithms ${PINNED_HOST_KEY_ALGORITHM}`,
    "",
  ].join("\n");
}

function renderUrls(urls: BundleData["urls"]): string[] {
  const lines = Object.entries(urls).flatMap(([stack, ports]) =>
    Object.entries(ports).map(([port, url]) => `  ${stack}  ${port}  ${url}`),
  );
  return lines.length > 0 ? lines : ["  (no stack publishes a port yet)"];
}

/** The one-page guide: what to type, from this folder. Holds no secret itself. */
export function renderGuide(data: BundleData): string {
  const c = data.context;
  const r = data.registryInternal;
  return [
    `swarmlab: the cluster of ${data.stack}`,
    "",
    "This folder holds the keys to YOUR cluster and nothing of anyone else's. Keep it to",
    "yourself: do not commit, mail or share it. You need the docker CLI and ssh; you do not",
    "need Pulumi, the class's state backend or any passphrase. Run the commands from here.",
    "",
    "1. Docker: import the context once, then use it",
    `     docker context import ${c} ${CONTEXT_FILE}`,
    `     docker --context ${c} node ls`,
    "   (or, in a clone of swarmlab, all of steps 1 and 2 at once:",
    `     npm run docker-context -- --bundle <this folder>)`,
    "",
    `2. Registry ${r} (through the context, so builds and pushes run on manager-0):`,
    `     docker --context ${c} login --username ${data.registryUser} --password-stdin ${r} < ${PASSWORD_FILE}`,
    `     docker --context ${c} build -t ${r}/hello .`,
    `     docker --context ${c} push ${r}/hello`,
    `   Name the images of your stacks ${r}/<name>: every node trusts and reaches it.`,
    `   From the laptop itself the registry is ${data.registry}.`,
    "",
    "3. SSH to manager-0:",
    `     ssh -F ${SSH_CONFIG_FILE} ${c}`,
    "",
    "4. Your stacks:",
    ...renderUrls(data.urls),
    "",
    ...(Object.keys(data.stackSecrets ?? {}).length > 0
      ? [
          `5. Secrets swarmlab made for your stacks (names in ${STACK_SECRETS_FILE}, e.g. the`,
          "   database password MediaWiki's installer asks for):",
          ...Object.keys(data.stackSecrets ?? {})
            .sort()
            .map((name) => `     ${name}`),
          "",
        ]
      : []),
    `Files: ${CONTEXT_FILE} (context, TLS client key inside), ${SSH_KEY_FILE}, ${SSH_CONFIG_FILE},`,
    `${KNOWN_HOSTS_FILE} (your managers' host keys, checked when this folder was made: ssh`,
    "refuses any other key; a changed key means ask your teacher, do not edit the file),",
    `${PASSWORD_FILE}, ${BUNDLE_FILE} (all of it, for npm run docker-context).`,
    "",
  ].join("\n");
}

/** Reads `bundle.json` back; names what is wrong rather than failing later in docker. */
export function parseBundle(text: string, where: string): BundleData {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`${where} is not JSON: give the folder your teacher handed out`);
  }
  const record = (data ?? {}) as Record<string, unknown>;
  if (record.format !== 1) {
    throw new Error(`${where} is not a swarmlab bundle (format ${String(record.format)})`);
  }
  const needed = [...STRINGS.filter((k) => k !== "sshPrivateKey"), "stack", "context"];
  const missing = needed.filter((k) => typeof record[k] !== "string" || record[k] === "");
  if (missing.length > 0) throw new Error(`${where} has no ${missing.join(", ")}`);
  return record as unknown as BundleData;
}
