/**
 * The program's swarm steps as the Pulumi engine would drive them: the step arguments come from
 * infra/swarm/swarm.ts's builders, the inputs from ManagerStep's own managerStepInputs, and the
 * provider functions that run are managerStepProvider's (infra/swarm/manager-step-provider.ts),
 * over ssh2 to the lab's containers. Nothing here dials SSH itself (docs/design.md principle 8).
 * Host keys: each manager is pinned at first contact (harness/host-keys.ts, with the program's
 * HostKeyPin provider) before a step is given its address, as in the program; the step's inputs
 * hold the pins as they were then, as the engine stores them.
 */
import { managerStepInputs, ManagerStepArgs } from "../../../infra/swarm/manager-step";
import {
  DeleteOutcome,
  ManagerStepInputs,
  ManagerStepOutputs,
  managerStepProvider,
} from "../../../infra/swarm/manager-step-provider";
import { pinsOf } from "../../../infra/swarm/host-key-check";
import type { HostKeys } from "../../../infra/swarm/host-key-check";
import type { ManagerAccess } from "../../../infra/swarm/swarm";
import type { NodeIdentity } from "../../../infra/config/naming";
import type { SwarmCluster } from "./swarm-cluster";

export class ManagerSteps {
  constructor(private readonly cluster: SwarmCluster) {}

  /** Every manager's address, manager-0 first (the program's fixed order), minus `except`. */
  access(except: NodeIdentity[] = []): ManagerAccess {
    const managers = this.cluster.nodes
      .filter((node) => node.role === "manager" && !except.includes(node))
      .map((node) => this.cluster.sshAddressOf(node));
    return {
      managers,
      // The lab's pins as they are when a step is created (create and delete pin first).
      hostKeys: this.cluster.lab.hostKeys.byAddress,
      user: this.cluster.spec.settings.sshUser,
      privateKey: this.cluster.lab.key.privateKey,
    };
  }

  /** The step's inputs, with the pins its managers have now (as ManagerStep registers them). */
  inputs(name: string, args: ManagerStepArgs): ManagerStepInputs {
    const inputs = managerStepInputs(name, args) as unknown as ManagerStepInputs;
    return { ...inputs, hostKeys: pinsOf(args.hostKeys as HostKeys, inputs.managers) };
  }

  /** Pins the running managers of `args` not pinned yet: what their HostKeyPins did first. */
  private async pin(args: ManagerStepArgs): Promise<void> {
    const lab = this.cluster.lab;
    await lab.hostKeys.pinRunning(lab.serversAt(args.managers as string[]));
  }

  /** The engine's create: throws what the provider throws. */
  async create(name: string, args: ManagerStepArgs): Promise<ManagerStepOutputs> {
    await this.pin(args);
    const result = await managerStepProvider.create(this.inputs(name, args));
    return result.outs as ManagerStepOutputs;
  }

  /** The engine's refresh of a step created before. */
  async refresh(name: string, state: ManagerStepOutputs): Promise<ManagerStepOutputs> {
    const result = await managerStepProvider.read(name, state);
    return result.props as ManagerStepOutputs;
  }

  /** The engine's delete of a step whose state is `args` (as created). */
  async delete(name: string, args: ManagerStepArgs): Promise<DeleteOutcome> {
    await this.pin(args);
    const state = {
      ...this.inputs(name, args),
      stdout: "",
      stderr: "",
      answeredBy: "",
      skipped: false,
    };
    return managerStepProvider.delete(name, state);
  }
}
