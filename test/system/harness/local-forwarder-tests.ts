/**
 * The local cloud's port forwarder run for real (issue 27), in scenario e: a one-replica service
 * publishing a port in host mode on a worker (no IPVS in this kernel, so no routing mesh), and
 * the forwarder container the program declares for that port (infra/stacks/local-stack-ports.ts:
 * `portForwarders` + `forwarderContainerArgs`), created from those very arguments. This host's
 * GET to 127.0.0.1:<published + offset> gets the service's page: the managers refuse, the worker
 * with the task accepts. With the service scaled to 0 every node refuses and the GET fails at
 * once (the connection closed, no page) instead of hanging.
 */
import type * as docker from "@pulumi/docker";
import { nodeAddress } from "../../../infra/local/lab-network";
import {
  forwarderContainerArgs,
  PortForwarder,
  portForwarders,
} from "../../../infra/stacks/local-port-forwarder";
import type { PublishedPort } from "../../../infra/stacks/published-ports";
import { copyIntoContainer } from "./copy-into";
import { docker as dockerCli, dockerOk, execInNodeOk } from "./docker";
import type { Lab } from "./lab";
import { run } from "./process";
import type { SwarmCluster } from "./swarm-cluster";
import { createService, prepareServiceImage, waitForRunningReplicas } from "./test-service";
import { waitFor } from "./wait";

const MINUTE = 60_000;
export const FORWARDER_PHASE = "local cloud: stack port through the forwarder";
const SERVICE = "forwarded-web";
/** The port the service publishes on its node (host mode); the task's httpd listens on 8080. */
const PUBLISHED = 8089;
const TARGET = 8080;
/** From the forwarder's start to the first page: socat is up in a second, a node refuses at once. */
const FIRST_ANSWER_DEADLINE_MS = MINUTE;
/** One GET's own deadline (curl --max-time): a GET that hangs this long is a failure. */
const GET_MAX_SECONDS = 20;

/** A value the program hands Pulumi as an Input; here every one must be a plain string. */
function plain(value: unknown, what: string): string {
  if (typeof value !== "string") {
    throw new Error(`forwarder argument ${what} is not a plain string: ${String(value)}`);
  }
  return value;
}

/**
 * The forwarder's Container arguments as `docker create` flags, one per field the builder sets,
 * nothing added: what terraform-provider-docker's Create does with them (v4.5.0,
 * internal/provider/resource_docker_container_funcs.go, resourceDockerContainerCreate, read at
 * 83c00e0b: ContainerCreate with name, image, entrypoint, cmd, labels, restart policy and the
 * port bindings with their host IP; then the default bridge disconnected and each network of
 * networks_advanced connected, which `--network` does at create; then each `upload` copied in
 * with CopyToContainer, mode 0644 unless executable; then ContainerStart). The uploads are
 * forwarderUploads, copied in before start. Fails on a field this adapter does not map.
 */
export function forwarderCreateArgs(args: docker.ContainerArgs): string[] {
  const mapped = new Set([
    "name", "image", "networksAdvanced", "labels", "ports", "uploads", "entrypoints", "command",
    "restart",
  ]); // prettier-ignore
  const unmapped = Object.keys(args).filter((key) => !mapped.has(key));
  if (unmapped.length > 0) throw new Error(`unmapped forwarder arguments: ${unmapped.join(", ")}`);
  const list = <T>(value: unknown, what: string): T[] => {
    if (!Array.isArray(value)) throw new Error(`forwarder argument ${what} is not a list`);
    return value as T[];
  };
  const networks = list<{ name: string }>(args.networksAdvanced, "networksAdvanced");
  const labels = list<{ label: string; value: string }>(args.labels, "labels");
  const ports = list<{ internal: number; external: number; ip: string; protocol: string }>(
    args.ports,
    "ports",
  );
  const [entrypoint, ...entrypointArgs] = list<unknown>(args.entrypoints, "entrypoints");
  return [
    "--name", plain(args.name, "name"),
    ...networks.flatMap((network) => ["--network", plain(network.name, "network")]),
    ...labels.flatMap((entry) => ["--label", `${plain(entry.label, "label")}=${plain(entry.value, "label")}`]),
    ...ports.flatMap((port) => [
      "--publish", `${port.ip}:${port.external}:${port.internal}/${port.protocol}`,
    ]),
    "--entrypoint", plain(entrypoint, "entrypoints"),
    "--restart", plain(args.restart, "restart"),
    plain(args.image, "image"),
    // `docker create` takes one entrypoint binary; the rest of it goes before the command.
    ...entrypointArgs.map((arg) => plain(arg, "entrypoints")),
    ...list<unknown>(args.command, "command").map((arg) => plain(arg, "command")),
  ]; // prettier-ignore
}

/** The Container's `uploads` as files for `docker cp`. */
export function forwarderUploads(args: docker.ContainerArgs) {
  const uploads = (args.uploads ?? []) as { file: string; content?: string }[];
  return uploads.map((upload) => ({ path: upload.file, content: plain(upload.content, "upload") }));
}

/** One GET from this host: the body, or curl's exit code (7 refused, 52 empty reply, 28 timeout). */
async function get(url: string): Promise<{ exitCode: number; body: string }> {
  const result = await run("curl", ["-sS", "--max-time", String(GET_MAX_SECONDS), url], {
    timeoutMs: (GET_MAX_SECONDS + 10) * 1000,
  });
  return { exitCode: result.exitCode, body: result.stdout.trim() };
}

/** The service's task container on its worker: its short id is the hostname httpd serves. */
async function taskContainer(cluster: SwarmCluster, nodeName: string): Promise<string> {
  const container = cluster.server(cluster.node(nodeName)).container;
  return execInNodeOk(
    container,
    `docker ps --filter label=com.docker.swarm.service.name=${SERVICE} --format '{{.ID}}'`,
  );
}

/** The forwarder test of scenario e; call it once, before the heal tests. */
export function testLocalForwarder(
  scenario: () => { lab: Lab; cluster: SwarmCluster },
  offset: number,
): void {
  test(
    "a stack's host-mode port on a worker answers this host at 127.0.0.1 through the forwarder, and fails at once with no task",
    async () => {
      const { lab, cluster } = scenario();
      const manager = cluster.server(cluster.manager0).container;
      const containers = cluster.nodes.map((node) => cluster.server(node).container);
      const image = await prepareServiceImage(containers);
      await createService(manager, SERVICE, image.tag, 0);
      let forwarder: PortForwarder | undefined;
      try {
        await execInNodeOk(
          manager,
          `docker service update --detach --quiet --constraint-add node.role==worker ` +
            `--publish-add mode=host,published=${PUBLISHED},target=${TARGET} --replicas 1 ${SERVICE}`,
        );
        const { byNode } = await waitForRunningReplicas(manager, SERVICE, 1, 2 * MINUTE);
        const [taskNode] = [...byNode.keys()];
        expect(cluster.node(taskNode).role).toBe("worker");
        const page = await taskContainer(cluster, taskNode);
        expect(page).toMatch(/^[0-9a-f]{12}$/);

        // As infra/cluster.ts hands them to LocalStackPorts: every node's lab address, managers
        // first (clusterNodes' order), the node image, the lab network, the owner label (with the
        // run's labels, so the harness's clean-up finds the container after a crash).
        const port: PublishedPort = {
          service: SERVICE,
          published: PUBLISHED,
          target: TARGET,
          protocol: "tcp",
          mode: "host",
        };
        const nodes = cluster.nodes.map((node) => nodeAddress(lab.network.subnet, node));
        expect(nodes).toEqual(cluster.nodes.map((node) => cluster.server(node).address));
        const owner = cluster.spec.settings.owner;
        [forwarder] = portForwarders(owner, [port], offset, nodes);
        const args = forwarderContainerArgs(forwarder, {
          image: lab.image.tag,
          network: lab.network.name,
          labels: lab.run.labels,
        });
        await dockerOk(["create", ...forwarderCreateArgs(args)]);
        await copyIntoContainer(forwarder.name, forwarderUploads(args));
        const startedAt = Date.now();
        await dockerOk(["start", forwarder.name]);

        const url = `http://127.0.0.1:${PUBLISHED + offset}/`;
        await waitFor(
          `${url} to answer with the page of ${SERVICE}'s task on ${taskNode}`,
          async () => {
            const answer = await get(url);
            return { done: answer.body === page, observed: JSON.stringify(answer) };
          },
          { timeoutMs: FIRST_ANSWER_DEADLINE_MS, intervalMs: 500 },
        );
        lab.timings.add(FORWARDER_PHASE, startedAt, Date.now());
        lab.timings.note(
          FORWARDER_PHASE,
          `forwarder start to first page of ${taskNode}'s task, targets ${nodes.join(" ")}`,
        );

        // No task: every node refuses, the forwarder closes the connection it accepted.
        await execInNodeOk(manager, `docker service scale --detach ${SERVICE}=0`);
        await waitForRunningReplicas(manager, SERVICE, 0, MINUTE);
        await waitFor(
          `${taskNode} to free port ${PUBLISHED}`,
          async () => {
            const left = await taskContainer(cluster, taskNode);
            return { done: left === "", observed: left };
          },
          { timeoutMs: MINUTE },
        );
        const before = Date.now();
        const refused = await get(url);
        const tookMs = Date.now() - before;
        // 52: curl's "Empty reply from server"; 56: the connection reset. Not 28 (a timeout).
        expect({ body: refused.body, closed: [52, 56].includes(refused.exitCode) }).toEqual({
          body: "",
          closed: true,
        });
        expect(tookMs).toBeLessThan(GET_MAX_SECONDS * 1000);
        lab.timings.note(FORWARDER_PHASE, `with no task the GET failed in ${tookMs} ms`);
      } finally {
        if (forwarder) await dockerCli(["rm", "--force", "--volumes", forwarder.name]);
        await execInNodeOk(manager, `docker service rm ${SERVICE}`);
      }
    },
    6 * MINUTE,
  );
}
