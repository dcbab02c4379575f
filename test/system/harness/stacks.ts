/**
 * The application stacks as the Pulumi program runs them (infra/stacks/stacks.ts): the project's
 * own compose files (stacks/, unchanged) resolved by its renderStack, its image and stack steps
 * (infra/stacks/stack-steps.ts) run by ManagerStep's provider functions over SSH, the registry's
 * credentials as the steps' secret stdin. Only the Pulumi engine is missing: this file calls the
 * provider's create, update, diff and delete where the engine would.
 */
import type { ServiceOverride } from "../../../infra/config/stacks-config";
import { folderOf, stackFolders } from "../../../infra/stacks/catalog";
import { loadStack, StackDefinition } from "../../../infra/stacks/compose";
import { renderStack } from "../../../infra/stacks/render-compose";
import {
  parseStackServices,
  RegistryCredentials,
  registryCredentials,
  ServiceStatus,
} from "../../../infra/stacks/stack-scripts";
import { builtImages, imageStep, stackStep, StepScripts } from "../../../infra/stacks/stack-steps";
import type { ManagerStepArgs } from "../../../infra/swarm/manager-step";
import {
  DeleteOutcome,
  ManagerStepOutputs,
  managerStepProvider,
} from "../../../infra/swarm/manager-step-provider";
import { execInNodeOk } from "./docker";
import { ManagerSteps } from "./manager-steps";

/** The deadline of each stack step here (the program gives bootTimeoutSeconds, 900 s). */
export const STACK_TIMEOUT_SECONDS = 180;

export type Overrides = Record<string, ServiceOverride>;

/** A stack deployed by its step: what the engine would keep in the state. */
export interface DeployedStack {
  name: string;
  overrides: Overrides;
  state: ManagerStepOutputs;
  services: ServiceStatus[];
}

function loaded(name: string, folders: readonly string[]): StackDefinition {
  const result = loadStack(name, folderOf(name, folders));
  if (!result.ok) throw new Error(`${result.file}: ${result.problems.join("; ")}`);
  return result.stack;
}

export class StackSteps {
  constructor(
    private readonly steps: ManagerSteps,
    private readonly registry: RegistryCredentials,
    private readonly overlayMtu: number,
    /** Where stacks are looked for, as swarmlab:stacksDir makes the list (stackFolders). */
    private readonly folders: readonly string[] = stackFolders(),
  ) {}

  /** ManagerStep's arguments for `scripts`, as LabStacks makes them. */
  private args(scripts: StepScripts): ManagerStepArgs {
    return {
      ...this.steps.access(),
      description: scripts.description,
      create: scripts.create,
      ...(scripts.delete ? { delete: scripts.delete } : {}),
      ...(scripts.needsRegistry || scripts.secretStdin !== undefined
        ? {
            secretStdin: `${scripts.needsRegistry ? registryCredentials(this.registry) : ""}${scripts.secretStdin ?? ""}`,
          }
        : {}),
    };
  }

  private deployArgs(name: string, overrides: Overrides): ManagerStepArgs {
    const stack = loaded(name, this.folders);
    const contextTags = Object.fromEntries(builtImages(stack).map((i) => [i.service, i.tag]));
    const values = { registry: this.registry.address, overlayMtu: this.overlayMtu, contextTags };
    const rendered = renderStack(stack, values, overrides);
    return this.args(stackStep(stack, rendered, STACK_TIMEOUT_SECONDS));
  }

  /** The image steps of `name` (in parallel, as the engine runs them); their stdout. */
  async buildImages(name: string): Promise<string[]> {
    const stack = loaded(name, this.folders);
    const created = await Promise.all(
      builtImages(stack).map((image) =>
        this.steps.create(
          `${name}-${image.service}-image`,
          this.args(imageStep(stack, image, this.registry.address, STACK_TIMEOUT_SECONDS)),
        ),
      ),
    );
    return created.map((outs) => outs.stdout.trim());
  }

  /** The stack step's create: deploy, converged. Throws what the provider throws. */
  async deploy(name: string, overrides: Overrides = {}): Promise<DeployedStack> {
    const state = await this.steps.create(name, this.deployArgs(name, overrides));
    return { name, overrides, state, services: parseStackServices(state.stdout) };
  }

  /** What `pulumi preview` would say of deploying `overrides` now: does the step change? */
  async changes(deployed: DeployedStack, overrides: Overrides): Promise<boolean> {
    const news = this.steps.inputs(deployed.name, this.deployArgs(deployed.name, overrides));
    const diff = await managerStepProvider.diff(deployed.name, deployed.state, news);
    return diff.changes === true;
  }

  /** The engine's update of the stack step with new overrides (an in-place update). */
  async update(deployed: DeployedStack, overrides: Overrides): Promise<DeployedStack> {
    const news = this.steps.inputs(deployed.name, this.deployArgs(deployed.name, overrides));
    const result = await managerStepProvider.update(deployed.name, deployed.state, news);
    const state = result.outs as ManagerStepOutputs;
    return { name: deployed.name, overrides, state, services: parseStackServices(state.stdout) };
  }

  /** The engine's delete of the stack step: `docker stack rm`, networks gone. */
  remove(deployed: DeployedStack): Promise<DeleteOutcome> {
    return managerStepProvider.delete(deployed.name, deployed.state);
  }
}

export interface StackTask {
  id: string;
  name: string;
  node: string;
}

/** The tasks of `stack` the swarm wants running, by name. */
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

/** Forgets every registry login of root's Docker on `node`: the steps must log in themselves. */
export async function logoutEverywhere(containers: string[], registry: string): Promise<void> {
  await Promise.all(
    containers.map((container) => execInNodeOk(container, `docker logout ${registry} >/dev/null`)),
  );
}

/** One HTTP GET from inside `node` (curl), the body. */
export function httpGet(node: string, url: string): Promise<string> {
  return execInNodeOk(node, `curl -sf --max-time 5 ${url}`);
}
