/**
 * The registry's "Done when" checks on a running cluster (harness/registry.ts set it up): push
 * and pull over TLS with auth, an unauthenticated push refused, the Docker API with and without a
 * client certificate, a scale-up worker pulling, the registry after a restart and a reboot.
 */
import type { NodeIdentity } from "../../../infra/config/naming";
import { nodeName } from "../../../infra/config/naming";
import { DOCKER_API_PORT } from "../../../infra/config/registry-address";
import { REGISTRY_SERVICE } from "../../../infra/registry/registry-files";
import { docker, dockerOk, execInNode } from "./docker";
import type { CommandResult } from "./process";
import { rebootServer } from "./reboot";
import {
  deployRegistry,
  dockerLogin,
  internalEndpoint,
  LabPki,
  pullFresh,
  RegistryLogin,
} from "./registry";
import type { SwarmCluster } from "./swarm-cluster";
import { waitFor } from "./wait";

function ok(what: string, result: CommandResult): CommandResult {
  if (result.exitCode !== 0) {
    throw new Error(`${what} exited ${result.exitCode}:\n${result.stderr}${result.stdout}`);
  }
  return result;
}

/** Logs in on manager-0, tags `sourceImage` into the registry and pushes it; returns its name. */
export async function pushFromManager0(
  cluster: SwarmCluster,
  login: RegistryLogin,
  sourceImage: string,
  repository = "swarmlab/web:1",
): Promise<string> {
  const manager0 = cluster.server(cluster.manager0).container;
  const reference = `${internalEndpoint(cluster)}/${repository}`;
  ok("docker login on manager-0", await dockerLogin(manager0, internalEndpoint(cluster), login));
  await dockerOk(["exec", manager0, "docker", "tag", sourceImage, reference]);
  ok(
    "docker push on manager-0",
    await execInNode(manager0, `docker push ${reference}`, { timeoutMs: 120_000 }),
  );
  return reference;
}

/** Logs in on `node` and pulls `reference` afresh; the result says why when it fails. */
export async function loginAndPull(
  cluster: SwarmCluster,
  node: NodeIdentity,
  login: RegistryLogin,
  reference: string,
): Promise<CommandResult> {
  const container = cluster.server(node).container;
  const logged = await dockerLogin(container, internalEndpoint(cluster), login);
  if (logged.exitCode !== 0) return logged;
  return pullFresh(container, reference);
}

/** A push from `node` with an empty client config (no credentials): must be refused. */
export function anonymousPush(
  cluster: SwarmCluster,
  node: NodeIdentity,
  reference: string,
): Promise<CommandResult> {
  const container = cluster.server(node).container;
  return execInNode(
    container,
    `anon=$(mktemp -d) && docker tag ${reference} ${reference}-anon && DOCKER_CONFIG=$anon docker push ${reference}-anon`,
    { timeoutMs: 60_000 },
  );
}

/** The Docker API of manager-0 from this host: with the client certificate, and without. */
export async function dockerApiFromHost(
  cluster: SwarmCluster,
  pki: LabPki,
): Promise<{ withCert: CommandResult; withoutCert: CommandResult; plain2375: CommandResult }> {
  const host = `tcp://${cluster.addressOf(cluster.manager0)}:${DOCKER_API_PORT}`;
  const tls = ["--tlsverify", "--tlscacert", pki.clientFiles.ca];
  const withCert = await docker([
    ...tls,
    "--tlscert",
    pki.clientFiles.cert,
    "--tlskey",
    pki.clientFiles.key,
    "-H",
    host,
    "node",
    "ls",
    "--format",
    "{{.Hostname}}",
  ]);
  const withoutCert = await docker([
    ...tls,
    "-H",
    host,
    "version",
    "--format",
    "{{.Server.Version}}",
  ]);
  const plain2375 = await execInNode(
    cluster.server(cluster.manager0).container,
    "ss -Hltn 'sport = :2375'",
  );
  return { withCert, withoutCert, plain2375 };
}

/** A worker added by a scale-up: booted with the same metadata the program gives it. */
export function scaleUpWorker(cluster: SwarmCluster, index: number): NodeIdentity {
  return { name: nodeName(cluster.spec.settings.owner, "worker", index), role: "worker", index };
}

/** `docker service update --force` of the registry, then the program's wait until it answers. */
export async function restartRegistryService(
  cluster: SwarmCluster,
  pki: LabPki,
  login: RegistryLogin,
): Promise<CommandResult> {
  const manager0 = cluster.server(cluster.manager0).container;
  // Not detached: it returns once the old task is gone and the new one runs, so the wait below
  // probes the restarted registry, not the old one.
  await dockerOk(
    ["exec", manager0, "docker", "service", "update", "--force", "--quiet", REGISTRY_SERVICE],
    {
      timeoutMs: 120_000,
    },
  );
  return deployRegistry(cluster, pki, login);
}

/** A plain reboot of manager-0 (the registry's node), then the program's wait until it answers. */
export async function rebootRegistryNode(
  cluster: SwarmCluster,
  pki: LabPki,
  login: RegistryLogin,
): Promise<CommandResult> {
  const manager0 = cluster.server(cluster.manager0).container;
  await rebootServer(manager0);
  await waitFor(
    "dockerd on manager-0 to answer with the swarm active after the reboot",
    async () => {
      const state = await execInNode(manager0, "docker info --format '{{.Swarm.LocalNodeState}}'");
      return {
        done: state.stdout.trim() === "active",
        observed: state.stdout.trim() || state.stderr.trim(),
      };
    },
    { timeoutMs: 3 * 60_000, intervalMs: 2000 },
  );
  return deployRegistry(cluster, pki, login);
}
