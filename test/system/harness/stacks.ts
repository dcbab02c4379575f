/**
 * The stacks phase: the project's own compose files (stacks/, unchanged), resolved by its
 * renderCompose and deployed, converged and removed by its swarm-stack.sh over SSH on manager-0,
 * exactly the strings the Pulumi program sends (infra/stacks/stacks.ts).
 */
import type { ServiceOverride } from "../../../infra/config/stacks-config";
import { loadStack, renderCompose } from "../../../infra/stacks/compose";
import {
  parseStackServices,
  ServiceStatus,
  stackScript,
} from "../../../infra/stacks/stack-scripts";
import { execInNodeOk } from "./docker";
import { CommandResult } from "./process";
import { SwarmCluster } from "./swarm-cluster";

export const STACK_TIMEOUT_SECONDS = 180;

function compose(
  name: string,
  overlayMtu: number,
  overrides: Record<string, ServiceOverride>,
): string {
  const loaded = loadStack(name);
  if (!loaded.ok) throw new Error(`${loaded.file}: ${loaded.problems.join("; ")}`);
  // No registry in this test: only stacks without a build context are resolved here.
  return renderCompose(loaded.stack, { registry: "", overlayMtu, contextTags: {} }, overrides);
}

export async function deployStack(
  cluster: SwarmCluster,
  name: string,
  overlayMtu: number,
  overrides: Record<string, ServiceOverride> = {},
): Promise<ServiceStatus[]> {
  const result = await cluster.runOnManager0(
    stackScript("deploy", name, compose(name, overlayMtu, overrides), STACK_TIMEOUT_SECONDS),
  );
  if (result.exitCode !== 0) {
    throw new Error(`stack deploy of ${name} exited ${result.exitCode}; stderr:\n${result.stderr}`);
  }
  return parseStackServices(result.stdout);
}

export function removeStack(
  cluster: SwarmCluster,
  name: string,
  overlayMtu: number,
): Promise<CommandResult> {
  return cluster.runOnManager0(
    stackScript("remove", name, compose(name, overlayMtu, {}), STACK_TIMEOUT_SECONDS),
  );
}

export interface StackTask {
  id: string;
  name: string;
  node: string;
}

/** The tasks of `stack` the swarm wants running. */
export async function stackTasks(manager: string, stack: string): Promise<StackTask[]> {
  const out = await execInNodeOk(
    manager,
    `docker stack ps ${stack} --filter desired-state=running --format '{{.ID}} {{.Name}} {{.Node}}'`,
  );
  return out
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [id, name, node] = line.trim().split(/\s+/);
      return { id, name, node };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Networks of `stack` that still exist on `node`. */
export async function stackNetworks(node: string, stack: string): Promise<string[]> {
  const out = await execInNodeOk(
    node,
    `docker network ls --filter label=com.docker.stack.namespace=${stack} --format '{{.Name}}'`,
  );
  return out.split("\n").filter((line) => line.trim() !== "");
}
