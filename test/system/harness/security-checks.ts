/**
 * The hardening of issue 16, checked on a running cluster with the project's own scripts:
 * - containers cannot reach the metadata service (a stand-in at 169.254.169.254 on manager-0) nor
 *   the swarm port 2377, and the rules come back when dockerd restarts;
 * - the ready gate fails a node whose name is expected but whose address is not;
 * - a joining node never shows its join token on a command line (`ps`);
 * - the remove-node script removes nothing while the swarm on its manager is locked.
 */
import {
  autolockScript,
  parseUnlockKey,
  readyGateScript,
  removeNodeScript,
} from "../../../infra/swarm/remote-scripts";
import type { NodeIdentity } from "../../../infra/config/naming";
import { execInNode, execInNodeOk } from "./docker";
import { SwarmCluster } from "./swarm-cluster";
import { waitFor } from "./wait";

const METADATA_ADDRESS = "169.254.169.254";
/** The service image's httpd port; the stand-in listens on it on every address of manager-0. */
const LISTENER_PORT = 8080;
const STANDIN = "swarmlab-metadata-standin";
const FIREWALL_CHAIN = "SWARMLAB-CONTAINERS";

/**
 * What a container on `node` gets from an HTTP GET of host:port: the page's body, or the client's
 * error ("Connection refused" when a REJECT rule answers). busybox nc, not wget: the static
 * busybox's wget dies with SIGSEGV in these containers (exit 139, no output).
 */
async function fromContainer(
  node: string,
  image: string,
  host: string,
  port: number,
): Promise<{ ok: boolean; output: string }> {
  const request = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${host} ${port}`;
  const result = await execInNode(
    node,
    `docker run --rm --network bridge ${image} sh -c "${request}"`,
    { timeoutMs: 60_000 },
  );
  if (result.exitCode !== 0) {
    return {
      ok: false,
      output: `exit ${result.exitCode}: ${result.stdout}${result.stderr}`.trim(),
    };
  }
  // The body (the stand-in's hostname) is the response's last line.
  return { ok: true, output: result.stdout.trim().split("\n").pop()?.trim() ?? "" };
}

async function dockerAnswers(node: string, state: string, timeoutMs: number): Promise<void> {
  await waitFor(
    `dockerd on ${node} to answer with swarm state ${state}`,
    async () => {
      const info = await execInNode(node, "docker info --format '{{.Swarm.LocalNodeState}}'");
      return { done: info.stdout.trim() === state, observed: info.stdout.trim() || info.stderr };
    },
    { timeoutMs },
  );
}

export interface FirewallResult {
  /** A container's view of each target, with the rules in place. */
  metadata: { ok: boolean; output: string };
  swarmPort: { ok: boolean; output: string };
  /** Positive controls: the host reaches the stand-in; a container reaches manager-0's httpd. */
  hostToMetadata: string;
  containerToManager: { ok: boolean; output: string };
  /** With our chain flushed a container DOES reach the stand-in: the check can see a leak. */
  withoutRules: { ok: boolean; output: string };
  /** After `systemctl restart docker` the rules are back. */
  afterRestart: { ok: boolean; output: string };
}

/**
 * A stand-in metadata service on manager-0 (169.254.169.254 added to its interface, the service
 * image's httpd on the host network) and the worker's route to it through manager-0's address.
 */
export async function checkContainerFirewall(
  cluster: SwarmCluster,
  worker: NodeIdentity,
  image: string,
): Promise<FirewallResult> {
  const manager0 = cluster.server(cluster.manager0).container;
  const managerAddress = cluster.addressOf(cluster.manager0);
  const container = cluster.server(worker).container;
  await execInNodeOk(
    manager0,
    `ip addr replace ${METADATA_ADDRESS}/32 dev eth0 && (docker rm -f ${STANDIN} >/dev/null 2>&1 || true) && docker run -d --name ${STANDIN} --network host ${image} >/dev/null`,
  );
  await execInNodeOk(container, `ip route replace ${METADATA_ADDRESS}/32 via ${managerAddress}`);
  const metadataUrl = `http://${METADATA_ADDRESS}:${LISTENER_PORT}/`;
  const metadata = [METADATA_ADDRESS, LISTENER_PORT] as const;
  const { value: hostToMetadata } = await waitFor(
    "the metadata stand-in to answer the worker host",
    async () => {
      const r = await execInNode(container, `curl -s -m 5 ${metadataUrl}`);
      return { done: r.exitCode === 0, value: r.stdout.trim(), observed: r.stderr };
    },
    { timeoutMs: 30_000 },
  );
  const result: FirewallResult = {
    metadata: await fromContainer(container, image, ...metadata),
    swarmPort: await fromContainer(container, image, managerAddress, 2377),
    hostToMetadata,
    containerToManager: await fromContainer(container, image, managerAddress, LISTENER_PORT),
    withoutRules: { ok: false, output: "" },
    afterRestart: { ok: false, output: "" },
  };
  await execInNodeOk(container, `iptables -w -F ${FIREWALL_CHAIN}`);
  result.withoutRules = await fromContainer(container, image, ...metadata);
  await execInNodeOk(container, "systemctl restart docker", { timeoutMs: 120_000 });
  await dockerAnswers(container, "active", 120_000);
  result.afterRestart = await fromContainer(container, image, ...metadata);
  await execInNodeOk(manager0, `docker rm -f ${STANDIN} >/dev/null`);
  return result;
}

/** The ready gate told that `impostor` should be at another address: it must fail. */
export async function gateWithUnknownAddress(
  cluster: SwarmCluster,
  expected: NodeIdentity[],
  impostor: NodeIdentity,
  knownAddress: string,
): Promise<{ exitCode: number; stderr: string }> {
  const script = readyGateScript(
    expected.map((node) => ({
      name: node.name,
      role: node.role,
      address: node === impostor ? knownAddress : cluster.addressOf(node),
    })),
    5,
  );
  const result = await cluster.runOnManager0(script);
  return { exitCode: result.exitCode, stderr: result.stderr };
}

export interface RejoinResult {
  exitCode: number;
  /** Every distinct command line `ps` showed on the node while it joined. */
  commandLines: string[];
}

/**
 * The worker leaves the swarm and runs its own swarm-up.sh again (the join of its first boot,
 * token from its metadata) while `ps` samples every command line on the node. The sampler never
 * gets the token: the test looks for it in what was sampled.
 */
export async function rejoinUnderPs(
  cluster: SwarmCluster,
  worker: NodeIdentity,
): Promise<RejoinResult> {
  const container = cluster.server(worker).container;
  const log = "/tmp/swarmlab-ps-samples";
  await execInNodeOk(container, `docker swarm leave --force >/dev/null; rm -f ${log} ${log}.stop`);
  await execInNodeOk(
    container,
    `nohup bash -c 'end=$((SECONDS + 180)); while ((SECONDS < end)) && [ ! -e ${log}.stop ]; do ps -eww -o args=; sleep 0.02; done | sort -u > ${log}.tmp; mv ${log}.tmp ${log}' >/dev/null 2>&1 &`,
  );
  const join = await execInNode(container, "/usr/local/lib/swarmlab/swarm-up.sh", {
    timeoutMs: 300_000,
  });
  await execInNodeOk(container, `touch ${log}.stop`);
  const { value: samples } = await waitFor(
    "the ps sampler to write its log",
    async () => {
      const r = await execInNode(container, `cat ${log}`);
      return { done: r.exitCode === 0, value: r.stdout };
    },
    { timeoutMs: 30_000 },
  );
  // The node left: its old swarm entry is a Down ghost under its name; remove it.
  const manager0 = cluster.server(cluster.manager0).container;
  await waitFor(
    `the old entry of ${worker.name} to be Down`,
    async () => {
      const r = await execInNode(
        manager0,
        `docker node ls --format '{{.ID}} {{.Hostname}} {{.Status}}' | awk '$2 == "${worker.name}" && $3 == "Down" { print $1 }'`,
      );
      return { done: r.stdout.trim() !== "", value: r.stdout.trim(), observed: r.stdout };
    },
    { timeoutMs: 60_000 },
  ).then(({ value }) =>
    execInNodeOk(manager0, `docker node rm --force ${value.split("\n").join(" ")}`),
  );
  return { exitCode: join.exitCode, commandLines: samples.split("\n").filter(Boolean) };
}

export interface LockedRemoval {
  exitCode: number;
  stderr: string;
  /** The node is still in the swarm after the failed removal (and the unlock). */
  stillListed: boolean;
}

/**
 * Autolock on, dockerd on manager-0 restarted (so its swarm is locked), the remove-node script for
 * `node`: it must fail and remove nothing. Then manager-0 is unlocked and autolock turned off.
 */
export async function removeWhileLocked(
  cluster: SwarmCluster,
  node: NodeIdentity,
): Promise<LockedRemoval> {
  const manager0 = cluster.server(cluster.manager0).container;
  const locking = await cluster.runOnManager0(autolockScript());
  if (locking.exitCode !== 0) throw new Error(`autolock script failed: ${locking.stderr}`);
  const key = parseUnlockKey(locking.stdout);
  await execInNodeOk(manager0, "systemctl restart docker", { timeoutMs: 120_000 });
  await dockerAnswers(manager0, "locked", 120_000);
  const removal = await cluster.runOnManager0(removeNodeScript(node.name, node.role, 30));
  // The key goes on stdin, never on a command line.
  await execInNodeOk(manager0, "docker swarm unlock", { input: `${key}\n` });
  await dockerAnswers(manager0, "active", 120_000);
  await execInNodeOk(manager0, "docker swarm update --autolock=false >/dev/null");
  const listed = await execInNodeOk(manager0, "docker node ls --format '{{.Hostname}}'");
  return {
    exitCode: removal.exitCode,
    stderr: removal.stderr,
    stillListed: listed.split("\n").includes(node.name),
  };
}
