/**
 * The local cloud's heal and destroy on the node side (issue 27, item 4), for scenario e
 * (local-cloud-layout.test.ts). What the engine and the docker provider decide is proven under
 * mocks (test/unit/local-heal.test.ts); here the real Docker engine shows what those decisions do:
 *
 * - Heal: a worker's container removed by hand (`docker rm -f`, as a student would; its volume is
 *   a resource of its own and stays). `pulumi up --refresh` then finds it gone (the provider's
 *   Read clears the id, the engine drops it from the state) and the update creates it again from
 *   the same inputs: here, from the very node description the harness booted it from, as the
 *   provider's Create does (create, upload the seed files, start). Then the program's ready gate
 *   runs, as it does for a new instance id.
 * - The same for manager-0: its new container has a new host key, pinned anew, and the bootstrap
 *   (keyed on manager-0's id) runs again over that pin. With one manager the program finds no
 *   survivor at refresh and warns that manager-0 starts a NEW swarm; on the local cloud it does
 *   not: the volume still holds the swarm's state and the node resumes it.
 * - Destroy: every container, volume and network that appeared on the engine during the scenario
 *   carries the owner label and is one the program declares; removing them the way the provider's
 *   Delete does leaves nothing with the owner label.
 */
import { OWNER_LABEL } from "../../../infra/local/local-node";
import type { NodeIdentity } from "../../../infra/config/naming";
import { MetaKey } from "../../../infra/config/metadata";
import {
  parseJoinTokens,
  parseSwarmNodes,
  readyGateScript,
} from "../../../infra/swarm/remote-scripts";
import { bootstrapStep, readyGateStep } from "../../../infra/swarm/swarm";
import { writeConfigDrive } from "./config-drive";
import { docker, dockerOk } from "./docker";
import type { Lab } from "./lab";
import { ManagerSteps } from "./manager-steps";
import { dockerCreateArgs, Server } from "./nova";
import { daemonFacts, listSwarmNodes } from "./swarm-queries";
import { execInNodeOk } from "./docker";
import { SCRIPT_TIMEOUT_SECONDS, SwarmCluster } from "./swarm-cluster";
import { waitFor } from "./wait";

const MINUTE = 60_000;
/** How long a removed worker may stay listed as Ready before its manager marks it Down. */
const DOWN_DEADLINE_MS = 2 * MINUTE;
/** The heal's deadline: boot (cloud-init installs Docker) and rejoin, as the first boot's. */
const HEAL_DEADLINE_MS = 12 * MINUTE;

export const HEAL_PHASE = "local cloud: worker container re-created, Ready";
export const MANAGER_HEAL_PHASE = "local cloud: manager-0 container re-created, Ready";

/** The swarm's own id, as a node in it sees it. */
async function swarmClusterId(container: string): Promise<string> {
  return execInNodeOk(container, "docker info --format '{{.Swarm.Cluster.ID}}'");
}

/** The swarm's services by name, as a manager lists them. */
async function serviceNames(container: string): Promise<string[]> {
  const listed = await execInNodeOk(container, "docker service ls --format '{{.Name}}'");
  return listed.split("\n").filter(Boolean).sort();
}

/** The join token a server's seed gave it (its nova metadata's swarm_token). */
function seededToken(server: Server): string | undefined {
  const meta = server.description.seedFiles.find((file) => file.path.endsWith("meta_data.json"));
  return (JSON.parse(meta?.content ?? "{}") as { meta?: Record<string, string> }).meta?.[
    MetaKey.token
  ];
}

/** Ids of the engine's containers, volumes (their names are their ids) and networks. */
export interface EngineObjects {
  containers: string[];
  volumes: string[];
  networks: string[];
}

type Kind = keyof EngineObjects;

async function lines(args: string[]): Promise<string[]> {
  return (await dockerOk(args)).split("\n").filter(Boolean);
}

export async function engineObjects(): Promise<EngineObjects> {
  return {
    containers: await lines(["ps", "--all", "--quiet", "--no-trunc"]),
    volumes: await lines(["volume", "ls", "--quiet"]),
    networks: await lines(["network", "ls", "--quiet", "--no-trunc"]),
  };
}

/** The objects' names with the owner label, as `docker <kind> ls --filter label=...` lists them. */
export async function ownedObjects(owner: string): Promise<EngineObjects> {
  const filter = ["--filter", `label=${OWNER_LABEL}=${owner}`];
  return {
    containers: await lines(["ps", "--all", ...filter, "--format", "{{.Names}}"]),
    volumes: await lines(["volume", "ls", ...filter, "--format", "{{.Name}}"]),
    networks: await lines(["network", "ls", ...filter, "--format", "{{.Name}}"]),
  };
}

interface Inspected {
  kind: Kind;
  name: string;
  owner: string | null;
}

const INSPECT_FORMAT: Record<Kind, string> = {
  containers: '{"name":{{json .Name}},"labels":{{json .Config.Labels}}}',
  volumes: '{"name":{{json .Name}},"labels":{{json .Labels}}}',
  networks: '{"name":{{json .Name}},"labels":{{json .Labels}}}',
};

async function inspect(kind: Kind, id: string): Promise<Inspected> {
  const type = kind.slice(0, -1);
  const raw = await dockerOk([type, "inspect", "--format", INSPECT_FORMAT[kind], id]);
  const parsed = JSON.parse(raw) as { name: string; labels: Record<string, string> | null };
  return {
    kind,
    // A container's name comes with the engine's leading slash.
    name: parsed.name.replace(/^\//, ""),
    owner: parsed.labels?.[OWNER_LABEL] ?? null,
  };
}

/** What is on the engine now and was not in `before`, by id, with its name and owner label. */
async function appearedSince(before: EngineObjects): Promise<Inspected[]> {
  const now = await engineObjects();
  const found: Inspected[] = [];
  for (const kind of ["containers", "volumes", "networks"] as const) {
    for (const id of now[kind].filter((candidate) => !before[kind].includes(candidate))) {
      found.push(await inspect(kind, id));
    }
  }
  return found;
}

/** The objects the program declares for these servers: each container, its volume, the bridge. */
function declaredObjects(lab: Lab): Omit<Inspected, "owner">[] {
  const servers = [...lab.servers.values()];
  return [
    ...servers.map((server) => ({ kind: "containers" as const, name: server.description.name })),
    ...servers.flatMap((server) =>
      server.description.mounts
        .filter((mount) => mount.type === "volume")
        .map((mount) => ({ kind: "volumes" as const, name: mount.source })),
    ),
    { kind: "networks", name: lab.network.name },
  ];
}

/**
 * What the provider's Create does with the same inputs after a refresh dropped the container
 * (terraform-provider-docker v4.5.0, internal/provider/resource_docker_container_funcs.go,
 * resourceDockerContainerCreate): ContainerCreate from the arguments, the `uploads` copied in,
 * then ContainerStart. The arguments are the description this server was created from.
 */
async function recreateServer(server: Server): Promise<void> {
  await dockerOk(["create", ...dockerCreateArgs(server.description)]);
  await writeConfigDrive(server.container, server.description.seedFiles);
  await dockerOk(["start", server.container]);
}

/**
 * What the provider's Delete does (resource_docker_container_funcs.go,
 * resourceDockerContainerDelete): ContainerStop with destroy_grace_seconds (unset: 0), then
 * ContainerRemove with Force and RemoveVolumes (`remove_volumes` defaults to true: the
 * container's anonymous volumes go with it; named volumes are not touched).
 */
async function deleteContainerAsProvider(name: string): Promise<void> {
  await dockerOk(["stop", "--time", "0", name], { timeoutMs: 60_000 });
  await dockerOk(["rm", "--force", "--volumes", name]);
}

/**
 * The provider's volume and network Delete (resource_docker_volume.go,
 * resourceDockerVolumeRemoveRefreshFunc: VolumeRemove with force, again while "in use";
 * resource_docker_network_funcs.go, resourceDockerNetworkRemoveRefreshFunc: NetworkRemove, again
 * while it "has active endpoints"), each until a deadline.
 */
async function removeUntilGone(args: string[], busy: RegExp, what: string): Promise<void> {
  await waitFor(
    what,
    async () => {
      const result = await docker(args);
      if (result.exitCode === 0) return { done: true };
      if (!busy.test(result.stderr)) throw new Error(result.stderr.trim());
      return { done: false, observed: result.stderr.trim() };
    },
    { timeoutMs: MINUTE, intervalMs: 1000 },
  );
}

/** The program's ready gate over every node, through ManagerStep's provider, as the heal runs it. */
async function readyGate(cluster: SwarmCluster) {
  const steps = new ManagerSteps(cluster);
  const owner = cluster.spec.settings.owner;
  const expected = cluster.nodes.map((node) => ({
    name: node.name,
    role: node.role,
    address: cluster.addressOf(node),
  }));
  const gate = await steps.create(
    `${owner}-ready-check`,
    readyGateStep(
      steps.access(),
      readyGateScript(expected, SCRIPT_TIMEOUT_SECONDS, [], owner),
      SCRIPT_TIMEOUT_SECONDS,
    ),
  );
  return parseSwarmNodes(gate.stdout);
}

async function waitUntilDown(cluster: SwarmCluster, node: NodeIdentity): Promise<void> {
  const manager = cluster.server(cluster.manager0).container;
  await waitFor(
    `${manager} to list ${node.name} as Down`,
    async () => {
      const row = (await listSwarmNodes(manager)).find((r) => r.hostname === node.name);
      return { done: row?.status === "Down", observed: row?.status ?? "not listed" };
    },
    { timeoutMs: DOWN_DEADLINE_MS, intervalMs: 1000 },
  );
}

/**
 * Registers, in the scenario's describe block and before its own beforeAll, the listing of the
 * engine's objects before the scenario makes any; returns it for testLocalHealAndDestroy.
 */
export function watchEngineObjects(): () => EngineObjects {
  let before: EngineObjects | undefined;
  beforeAll(async () => {
    before = await engineObjects();
  });
  return () => {
    if (!before) throw new Error("the engine was not listed before the scenario");
    return before;
  };
}

/** The heal and destroy tests of the local cloud's layout; the last tests of scenario e. */
export function testLocalHealAndDestroy(
  scenario: () => { lab: Lab; cluster: SwarmCluster },
  before: () => EngineObjects,
): void {
  test(
    "a worker's container removed by hand is re-created from the same description and rejoins as the same swarm node",
    async () => {
      const { lab, cluster } = scenario();
      const worker = cluster.member("worker", 0);
      const server = cluster.server(worker);
      const [volume] = server.description.mounts.filter((mount) => mount.type === "volume");
      const identityBefore = (await daemonFacts(server.container)).swarmNodeId;
      expect(identityBefore).not.toBe("");

      // The student's `docker rm -f`: no clean shutdown, the named volume stays.
      const removedAt = Date.now();
      await dockerOk(["rm", "--force", server.container]);
      expect((await docker(["volume", "inspect", volume.source])).exitCode).toBe(0);
      // Until the `up --refresh` that follows, the swarm notices: the worker goes Down.
      await waitUntilDown(cluster, worker);
      lab.timings.add("local cloud: worker removed to Down", removedAt, Date.now());

      const recreatedAt = Date.now();
      const gate = await lab.timings.phase(HEAL_PHASE, async () => {
        await recreateServer(server);
        return readyGate(cluster);
      });
      expect(Date.now() - recreatedAt).toBeLessThan(HEAL_DEADLINE_MS);
      const healed = gate.find((node) => node.name === worker.name);
      expect(healed).toMatchObject({ role: "worker", state: expect.stringMatching(/^ready$/i) });

      // The local cloud has no block device: storage-prepare.sh leaves /var/lib/docker as it is,
      // so dockerd resumes the swarm state on the volume and swarm-up.sh finds the node "already
      // in a swarm": the same node id, and so one record per name (nothing stale to remove).
      const after = await daemonFacts(server.container);
      expect([after.swarmState, after.swarmNodeId]).toEqual(["active", identityBefore]);
      const listed = await listSwarmNodes(cluster.server(cluster.manager0).container);
      expect(listed.map((row) => row.hostname).sort()).toEqual(
        cluster.nodes.map((node) => node.name).sort(),
      );
      expect(listed.every((row) => row.status === "Ready")).toBe(true);
    },
    HEAL_DEADLINE_MS + 5 * MINUTE,
  );

  test(
    "manager-0's container removed by hand is re-created, pinned anew, and resumes the same swarm from its volume",
    async () => {
      const { lab, cluster } = scenario();
      const owner = cluster.spec.settings.owner;
      const manager0 = cluster.manager0;
      const server = cluster.server(manager0);
      const swarmBefore = await swarmClusterId(server.container);
      const identityBefore = (await daemonFacts(server.container)).swarmNodeId;
      const servicesBefore = await serviceNames(server.container);
      expect(servicesBefore.length).toBeGreaterThan(0);
      const pinBefore = lab.hostKeys.byAddress[server.sshAddress]?.fingerprint;
      expect(pinBefore).toMatch(/^SHA256:/);

      await dockerOk(["rm", "--force", server.container]);
      const gate = await lab.timings.phase(MANAGER_HEAL_PHASE, async () => {
        await recreateServer(server);
        // A new container is a new server id: its HostKeyPin is replaced and pins the key the new
        // container's sshd made at first boot (a new Server object is a new pin, host-keys.ts).
        lab.servers.set(manager0.name, { ...server });
        // The bootstrap is keyed on manager-0's id: it runs again, over the new pin.
        const steps = new ManagerSteps(cluster);
        const bootstrap = await steps.create(
          `${owner}-bootstrap-tokens`,
          bootstrapStep(steps.access(), SCRIPT_TIMEOUT_SECONDS),
        );
        // Its tokens are the ones the workers were created with: their inputs do not change.
        const tokens = parseJoinTokens(bootstrap.stdout);
        for (const worker of cluster.nodes.filter((node) => node.role === "worker")) {
          expect(seededToken(cluster.server(worker))).toBe(tokens.worker);
        }
        return readyGate(cluster);
      });
      const pinAfter = lab.hostKeys.byAddress[server.sshAddress]?.fingerprint;
      expect(pinAfter).toMatch(/^SHA256:/);
      expect(pinAfter).not.toBe(pinBefore);
      expect(gate.find((node) => node.name === manager0.name)).toMatchObject({
        role: "manager",
        state: expect.stringMatching(/^ready$/i),
      });
      // swarm-up.sh finds the resumed state "already in a swarm" and initialises nothing: the
      // same swarm, the same node, one entry per name, the registry's service still there.
      expect(await swarmClusterId(server.container)).toBe(swarmBefore);
      expect((await daemonFacts(server.container)).swarmNodeId).toBe(identityBefore);
      const listed = await listSwarmNodes(server.container);
      expect(listed.map((row) => row.hostname).sort()).toEqual(
        cluster.nodes.map((node) => node.name).sort(),
      );
      expect(await serviceNames(server.container)).toEqual(servicesBefore);
    },
    HEAL_DEADLINE_MS + 5 * MINUTE,
  );

  test(
    "destroy leaves nothing: every object that appeared is the program's and labelled, and none with the label remains",
    async () => {
      const { lab, cluster } = scenario();
      const owner = cluster.spec.settings.owner;
      const appeared = await appearedSince(before());
      // Nothing unlabelled appeared (no anonymous volume from the image, no network the engine
      // made by itself), and nothing the program does not declare.
      expect(appeared.filter((object) => object.owner !== owner)).toEqual([]);
      const byKind = (objects: Omit<Inspected, "owner">[]) =>
        objects.map((object) => `${object.kind} ${object.name}`).sort();
      expect(byKind(appeared)).toEqual(byKind(declaredObjects(lab)));
      expect(await ownedObjects(owner)).toEqual({
        containers: expect.arrayContaining([cluster.server(cluster.manager0).container]),
        volumes: expect.any(Array),
        networks: [lab.network.name],
      });

      // This stands in for `pulumi destroy`, which deletes exactly what the state holds (the
      // declared objects above), dependents first: the containers, then their volumes and the
      // network, each the way the provider's Delete does it.
      const declared = declaredObjects(lab);
      const named = (kind: Kind) => declared.filter((o) => o.kind === kind).map((o) => o.name);
      await Promise.all(named("containers").map(deleteContainerAsProvider));
      for (const name of named("volumes")) {
        await removeUntilGone(["volume", "rm", "--force", name], /in use/, `volume ${name} gone`);
      }
      await removeUntilGone(
        ["network", "rm", lab.network.name],
        /active endpoints/,
        `network ${lab.network.name} gone`,
      );
      expect(await ownedObjects(owner)).toEqual({ containers: [], volumes: [], networks: [] });
    },
    5 * MINUTE,
  );
}
