/**
 * Runs planned checks on one cluster, one after the other, each over the swarm steps' own SSH
 * path: ManagerStep's provider (infra/swarm/manager-step-provider.ts), which tries the managers
 * in order, verifies each one's pinned host key in the handshake before anything is sent, and
 * runs the script with a deadline. A check that cannot run (no manager answers, a changed host
 * key, a non-zero exit) or prints no verdict is an `error` result; nothing here throws.
 */
import { managerStepProvider, ManagerStepInputs } from "../../infra/swarm/manager-step-provider";
import type { RemoteScript } from "../../infra/swarm/remote-scripts";
import type { ClusterAccess } from "./access";
import {
  checkScript,
  CheckResult,
  errorResult,
  missingResult,
  parseCheckOutput,
  PlannedCheck,
} from "./plan";

/** Runs `script` on a manager of the cluster; resolves its stdout, rejects when it did not run. */
export type ScriptRunner = (
  access: ClusterAccess,
  script: RemoteScript,
  description: string,
) => Promise<string>;

/** How long a manager may take to answer, and a check to finish (checks only read). */
export const REACH_SECONDS = 20;
export const CHECK_SECONDS = 120;

/** The real runner: ManagerStep's create, which fails on unreachable managers and non-zero exits. */
export const sshRunner: ScriptRunner = async (access, script, description) => {
  const inputs: ManagerStepInputs = {
    description,
    managers: access.managers,
    hostKeys: access.hostKeys,
    port: 22,
    user: access.user,
    privateKey: access.privateKey,
    create: script,
    secretStdout: false,
    triggers: [],
    reachTimeoutSeconds: REACH_SECONDS,
    deleteReachTimeoutSeconds: REACH_SECONDS,
    connectTimeoutSeconds: 5,
    scriptTimeoutSeconds: CHECK_SECONDS,
    whenUnreachable: "fail",
  };
  const created = await managerStepProvider.create(inputs);
  return String((created.outs as { stdout?: unknown }).stdout ?? "");
};

/** Each check's result on `access`'s cluster, in the order planned; `onCheck` as each starts. */
export async function runChecks(
  access: ClusterAccess,
  checks: readonly PlannedCheck[],
  runner: ScriptRunner = sshRunner,
  onCheck: (name: string) => void = () => undefined,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    onCheck(check.name);
    if (check.missing.length > 0) {
      results.push(missingResult(check));
      continue;
    }
    try {
      const stdout = await runner(
        access,
        checkScript(check, access.user),
        `check ${check.name} (${access.stack})`,
      );
      results.push(parseCheckOutput(check.name, stdout));
    } catch (error) {
      results.push(errorResult(check.name, error instanceof Error ? error.message : String(error)));
    }
  }
  return results;
}
