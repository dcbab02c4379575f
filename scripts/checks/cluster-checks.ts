/**
 * One cluster's check run from what reaches it: plan the lab's checks with the cluster's outputs,
 * then run them. Shared by the class tool (every student's stack outputs) and a student's own run
 * (their bundle), so both give the same result for one cluster.
 */
import type { ClusterAccess } from "./access";
import type { LabChecks } from "./lab-checks";
import { planChecks } from "./plan";
import type { StudentChecks } from "./report";
import { runChecks, ScriptRunner, sshRunner } from "./run-checks";

export interface ClusterCheckOptions {
  /** Check names to run (all when absent). */
  only?: readonly string[];
  /** `--set NAME=VALUE`: over the outputs and the lab's params.yaml. */
  overrides?: Record<string, string>;
  runner?: ScriptRunner;
  onCheck?: (name: string) => void;
}

export async function checkCluster(
  id: string,
  lab: LabChecks,
  access: ClusterAccess | { problem: string },
  outputs: Record<string, unknown>,
  options: ClusterCheckOptions = {},
): Promise<StudentChecks> {
  if ("problem" in access) return { id, results: [], problem: access.problem };
  const planned = planChecks(lab, outputs, options);
  if ("error" in planned) return { id, results: [], problem: planned.error };
  const results = await runChecks(access, planned, options.runner ?? sshRunner, options.onCheck);
  return { id, results };
}
