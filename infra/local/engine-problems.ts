/**
 * The local cloud's pre-flight decisions: what the Docker engine already holds that would make
 * `pulumi up` fail half-way, as config problems with the fix (principle 4). Pure: the engine's
 * answers and the stack's plan come in as arguments (engine-preflight.ts reads them).
 */
import type { LocalForwardedPort } from "../config/local-ports";
import { memoryProblem, MemoryHolder } from "../config/local-cloud";
import type { ConfigProblem } from "../config/validate";
import type { EngineFacts } from "./engine-facts";
import { networkOverlapProblems, OwnNetwork } from "./engine-network-check";
import { portConflictProblems } from "./engine-port-check";

/** What this stack will create on the engine. */
export interface EnginePlan {
  /** The lab network's name and the owner label every object of the stack carries. */
  own: OwnNetwork;
  cidr: string;
  managers: number;
  workers: number;
  localPortOffset: number;
  /** The chosen stacks' ports the local cloud forwards to 127.0.0.1, before the offset. */
  forwarded: readonly LocalForwardedPort[];
}

/** GET /info's MemTotal: on Docker Desktop the VM's, which the nodes share, not the laptop's. */
const ENGINE_MEMORY: MemoryHolder = {
  name: "the Docker engine",
  what: "the memory the engine reports, GET /info MemTotal; on Docker Desktop that of its VM",
  more: ", or give Docker Desktop's VM more memory (Settings, Resources)",
};

export function engineProblems(facts: EngineFacts, plan: EnginePlan): ConfigProblem[] {
  const problems: ConfigProblem[] = [
    ...networkOverlapProblems(facts.networks, plan.cidr, plan.own).map((reason) => ({
      key: "cidr",
      reason,
    })),
    ...portConflictProblems(
      facts.containers,
      { managers: plan.managers, forwarded: plan.forwarded, offset: plan.localPortOffset },
      plan.own,
    ).map((reason) => ({
      key: "localPortOffset",
      reason,
    })),
  ];
  if (facts.memTotalBytes !== undefined) {
    const nodes = plan.managers + plan.workers;
    const memory = memoryProblem(nodes, facts.memTotalBytes, ENGINE_MEMORY);
    if (memory !== undefined) problems.push({ key: "workers", reason: memory });
  }
  return problems;
}

/** No engine answered: every address tried with its error, and how to give pulumi one. */
export function noEngineProblem(
  failures: readonly { address: string; reason: string }[],
): ConfigProblem {
  const tried = failures.map((failure) => `${failure.address} (${failure.reason})`).join(", ");
  return {
    key: "cloud",
    reason:
      `is docker, but no Docker engine answers at ${tried}, where @pulumi/docker would create ` +
      "the lab; start Docker Desktop (or dockerd), or point DOCKER_HOST or " +
      "`pulumi config set docker:host unix:///path/to/docker.sock` at the engine",
  };
}
