/**
 * A tiny dynamic resource that remembers the deployed manager count, so that a change which could
 * lose Raft quorum (e.g. 3 -> 1) is refused at preview, before anything is touched. Pulumi hands
 * `check` the previous and the new inputs; the rule itself is the pure managerChangeProblem.
 */
import * as pulumi from "@pulumi/pulumi";
import { managerChangeProblem } from "./quorum";

export interface ManagerGuardInputs {
  managers: number;
  /** `swarmlab:confirmManagerRemoval`, e.g. "3->1"; empty when unset. */
  confirmation: string;
}

export const managerGuardProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds: Partial<ManagerGuardInputs>, news: ManagerGuardInputs) {
    const problem =
      typeof olds.managers === "number"
        ? managerChangeProblem(olds.managers, news.managers, news.confirmation)
        : undefined;
    return {
      inputs: news,
      failures: problem ? [{ property: "managers", reason: `swarmlab:managers ${problem}` }] : [],
    };
  },
  async create(inputs: ManagerGuardInputs) {
    return { id: "swarm-managers", outs: inputs };
  },
  async diff(_id: string, olds: ManagerGuardInputs, news: ManagerGuardInputs) {
    return { changes: olds.managers !== news.managers || olds.confirmation !== news.confirmation };
  },
  async update(_id: string, _olds: ManagerGuardInputs, news: ManagerGuardInputs) {
    return { outs: news };
  },
};

export class ManagerCountGuard extends pulumi.dynamic.Resource {
  constructor(name: string, args: ManagerGuardInputs, opts?: pulumi.CustomResourceOptions) {
    super(managerGuardProvider, name, args, opts);
  }
}
