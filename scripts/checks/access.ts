/**
 * How the checks reach one cluster over SSH: the managers' floating IPs, each one's pinned host
 * key, the user and the private key. The teacher's run reads them from the student's stack
 * outputs; a student's run from their bundle folder (never the class's backend or passphrase).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  BUNDLE_FILE,
  BundleData,
  KNOWN_HOSTS_FILE,
  manager0SshAddress,
  parseBundle,
  SSH_KEY_FILE,
  sshAddressOf,
} from "../bundle/contents";
import { knownHostsName } from "../bundle/host-keys";
import {
  HostKeys,
  fingerprintOfPublicKeyLine,
  parseHostKeys,
} from "../../infra/swarm/host-key-check";

export interface ClusterAccess {
  /** Whose cluster, for messages: the stack (student id). */
  stack: string;
  /** Manager addresses this machine reaches, tried in order. */
  managers: string[];
  /** Each manager's pinned SSH host key by address: a manager without one is never tried. */
  hostKeys: HostKeys;
  user: string;
  privateKey: string;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/**
 * Manager-0's SSH address first, then the other managers' (the `nodes` output), as swarm steps
 * try them: the floating IP, or on the local cloud "127.0.0.1:<published port>" (sshAddress),
 * the key of each one's host-key pin.
 */
function managersOf(outputs: Record<string, unknown>): string[] {
  const nodes = Array.isArray(outputs.nodes) ? (outputs.nodes as Record<string, unknown>[]) : [];
  const others = nodes
    .filter((n) => n?.role === "manager")
    .map((n) => text(n.sshAddress) || text(n.publicIp));
  return [...new Set([manager0SshAddress(outputs) ?? "", ...others].filter((ip) => ip !== ""))];
}

/** From a stack's outputs (secrets revealed); names the outputs that are missing. */
export function accessFromOutputs(
  stack: string,
  outputs: Record<string, unknown>,
): ClusterAccess | { missing: string[] } {
  const missing = ["managerPublicIp", "sshUser", "sshPrivateKey"].filter(
    (k) => text(outputs[k]) === "",
  );
  if (missing.length > 0) return { missing };
  return {
    stack,
    managers: managersOf(outputs),
    hostKeys: parseHostKeys(outputs.hostKeys),
    user: text(outputs.sshUser),
    privateKey: text(outputs.sshPrivateKey),
  };
}

/**
 * The pinned key of `address` in an OpenSSH known_hosts text: the ssh-ed25519 line whose host
 * field names it (`203.0.113.10` or `[203.0.113.10]:22`; the local cloud's `127.0.0.1:2222` as
 * `[127.0.0.1]:2222`). The bundle's ssh_config writes plain, unhashed lines (it replaces the
 * system's ssh_config, so no HashKnownHosts applies).
 */
export function knownHostKey(knownHosts: string, address: string): string | undefined {
  for (const line of knownHosts.split("\n")) {
    const [hosts, type, blob] = line.trim().split(/\s+/);
    if (!hosts || hosts.startsWith("#") || type !== "ssh-ed25519" || !blob) continue;
    const names = [knownHostsName(address), `[${address}]:22`];
    if (hosts.split(",").some((h) => names.includes(h))) {
      return fingerprintOfPublicKeyLine(`${type} ${blob}`);
    }
  }
  return undefined;
}

/** What a bundle gives for SSH: manager-0, its key in the bundle's known_hosts, the SSH key. */
export function accessFromBundleFiles(
  data: BundleData,
  privateKey: string,
  knownHosts: string,
): ClusterAccess | { error: string } {
  const address = sshAddressOf(data);
  const fingerprint = knownHostKey(knownHosts, address);
  if (fingerprint === undefined) {
    return {
      error:
        `the bundle's ${KNOWN_HOSTS_FILE} has no ssh-ed25519 key of ${address}, and a check sends ` +
        "nothing to a server whose key it cannot verify: ask your teacher for a new bundle " +
        "(`npm run class -- bundles` writes known_hosts from the keys pinned in the state)",
    };
  }
  return {
    stack: data.stack,
    managers: [address],
    hostKeys: { [address]: { server: `${data.stack}-manager-0`, fingerprint, pin: "" } },
    user: data.sshUser,
    privateKey,
  };
}

/** Reads a bundle folder (bundle.json, ssh-key, known_hosts). */
export function accessFromBundle(dir: string): ClusterAccess | { error: string } {
  const bundleFile = path.join(dir, BUNDLE_FILE);
  if (!fs.existsSync(bundleFile)) {
    return { error: `${bundleFile} not found: give --bundle the folder your teacher handed you` };
  }
  const data = parseBundle(fs.readFileSync(bundleFile, "utf8"), bundleFile);
  const knownHostsFile = path.join(dir, KNOWN_HOSTS_FILE);
  const knownHosts = fs.existsSync(knownHostsFile) ? fs.readFileSync(knownHostsFile, "utf8") : "";
  return accessFromBundleFiles(
    data,
    fs.readFileSync(path.join(dir, SSH_KEY_FILE), "utf8"),
    knownHosts,
  );
}
