/**
 * Identity of one system-test run. Everything the run makes on the host (containers, volumes,
 * networks, loop devices) carries the run id, so teardown removes exactly what this run made and
 * the next run can tell a crashed run's leftovers (owner process gone) from a live run's.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { OWNER_LABEL } from "../../../infra/local/local-node";

/** Label on every Docker object the system test makes. */
export const SYSTEM_TEST_LABEL = "org.swarmlab.system-test";
export const RUN_ID_LABEL = "org.swarmlab.run-id";
/** The jest worker's pid: a run whose pid is gone crashed and left its objects behind. */
export const OWNER_PID_LABEL = "org.swarmlab.owner-pid";

/** The git-ignored cache and report directory at the repository root. */
export const CACHE_DIR = resolve(__dirname, "..", "..", "..", ".system-test");
export const RUNS_DIR = join(CACHE_DIR, "runs");
export const REPORT_DIR = join(CACHE_DIR, "report");

export interface RunContext {
  /** e.g. "a1b2c3"; short because it goes into container names. */
  id: string;
  /** Scenario name, e.g. "one-manager-two-workers": names the report. */
  scenario: string;
  /** Per-run scratch directory (loop-device backing files, rendered seeds). */
  dir: string;
  labels: Record<string, string>;
}

/**
 * A new run of `scenario`. With `owner` its objects also carry the program's owner label
 * (infra/local/local-node.ts OWNER_LABEL), as the local cloud's objects of that stack do.
 */
export function newRunContext(scenario: string, owner?: string): RunContext {
  const id = randomBytes(3).toString("hex");
  const dir = join(RUNS_DIR, id);
  mkdirSync(dir, { recursive: true });
  // The pid file lets a later run decide whether this run's loop devices are orphans.
  writeFileSync(join(dir, "owner-pid"), String(process.pid));
  return {
    id,
    scenario,
    dir,
    labels: {
      [SYSTEM_TEST_LABEL]: "true",
      [RUN_ID_LABEL]: id,
      [OWNER_PID_LABEL]: String(process.pid),
      ...(owner !== undefined ? { [OWNER_LABEL]: owner } : {}),
    },
  };
}

/** `--label k=v` flags for docker create / network create / volume create. */
export function labelFlags(run: RunContext): string[] {
  return Object.entries(run.labels).flatMap(([key, value]) => ["--label", `${key}=${value}`]);
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive but not ours to signal.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
