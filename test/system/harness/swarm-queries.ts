/**
 * What the checks observe on a node, read through `docker exec` (the console, not the lifecycle):
 * the swarm's node list, a service's tasks, the daemon's storage driver and network MTUs.
 */
import { execInNodeOk } from "./docker";

export interface NodeRow {
  hostname: string;
  /** Ready, Down, Unknown */
  status: string;
  availability: string;
  /** Leader, Reachable, Unreachable, or "" for a worker. */
  managerStatus: string;
}

function jsonLines<T>(text: string): T[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);
}

/** `docker node ls` on a manager. */
export async function listSwarmNodes(manager: string): Promise<NodeRow[]> {
  const out = await execInNodeOk(manager, "docker node ls --format '{{json .}}'");
  return jsonLines<Record<string, string>>(out).map((row) => ({
    hostname: row.Hostname,
    status: row.Status,
    availability: row.Availability,
    managerStatus: row.ManagerStatus ?? "",
  }));
}

/** Hostname of the raft leader; throws when the swarm has none (no quorum). */
export function leaderOf(rows: NodeRow[]): string {
  const leader = rows.find((row) => row.managerStatus === "Leader");
  if (!leader) throw new Error(`no Leader in docker node ls: ${JSON.stringify(rows)}`);
  return leader.hostname;
}

export interface TaskRow {
  node: string;
  currentState: string;
}

/** Tasks of `service` the swarm wants running, with where they are and what they are doing. */
export async function runningTasks(manager: string, service: string): Promise<TaskRow[]> {
  const out = await execInNodeOk(
    manager,
    `docker service ps ${service} --filter desired-state=running --format '{{json .}}'`,
  );
  return jsonLines<Record<string, string>>(out).map((row) => ({
    node: row.Node,
    currentState: row.CurrentState,
  }));
}

/** Tasks actually in state Running, by node name. */
export function runningByNode(tasks: TaskRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const task of tasks.filter((t) => t.currentState.startsWith("Running"))) {
    counts.set(task.node, (counts.get(task.node) ?? 0) + 1);
  }
  return counts;
}

export interface DaemonFacts {
  storageDriver: string;
  dockerRootDir: string;
  /** Filesystem of the data root as `stat -f` names it (btrfs, ext2/ext3, xfs...). */
  dataRootFilesystem: string;
  /** MTU dockerd gave its default bridge: the daemon's `mtu`. */
  bridgeMtu: string;
  swarmState: string;
  /** This node's id in the swarm ("" outside one): a node that joined anew gets a new one. */
  swarmNodeId: string;
}

export async function daemonFacts(node: string): Promise<DaemonFacts> {
  const info = JSON.parse(await execInNodeOk(node, "docker info --format '{{json .}}'")) as {
    Driver: string;
    DockerRootDir: string;
    Swarm: { LocalNodeState: string; NodeID: string };
  };
  const bridgeMtu = await networkMtu(node, "bridge");
  const dataRootFilesystem = await execInNodeOk(node, `stat -f -c %T ${info.DockerRootDir}`);
  return {
    storageDriver: info.Driver,
    dockerRootDir: info.DockerRootDir,
    dataRootFilesystem,
    bridgeMtu,
    swarmState: info.Swarm.LocalNodeState,
    swarmNodeId: info.Swarm.NodeID,
  };
}

/** The `com.docker.network.driver.mtu` option of a network ("" when unset, i.e. 1500). */
export function networkMtu(node: string, network: string): Promise<string> {
  return execInNodeOk(
    node,
    `docker network inspect ${network} --format '{{index .Options "com.docker.network.driver.mtu"}}'`,
  );
}
