/**
 * Teardown: removes every container, volume, network and loop device a run made, found by the run
 * id label (Docker objects) and the run directory (loop-device backing files). Also removes what
 * crashed earlier runs left behind: objects whose owner process is gone.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { dockerOk } from "./docker";
import { detachLoopDevicesUnder, loopDevicesUnder } from "./loop-device";
import {
  isProcessAlive,
  OWNER_PID_LABEL,
  RUN_ID_LABEL,
  RunContext,
  RUNS_DIR,
  SYSTEM_TEST_LABEL,
} from "./run-context";

export interface RunResources {
  containers: string[];
  volumes: string[];
  networks: string[];
  loopDevices: string[];
}

type ObjectKind = "container" | "volume" | "network";

async function listByLabel(kind: ObjectKind, label: string): Promise<string[]> {
  const args =
    kind === "container"
      ? ["ps", "--all", "--filter", `label=${label}`, "--format", "{{.Names}}"]
      : [kind, "ls", "--filter", `label=${label}`, "--format", "{{.Name}}"];
  return (await dockerOk(args)).split("\n").filter(Boolean);
}

async function labelOf(kind: ObjectKind, name: string, label: string): Promise<string> {
  const format = `{{ index .${kind === "container" ? "Config.Labels" : "Labels"} "${label}" }}`;
  return dockerOk([kind === "container" ? "container" : kind, "inspect", "--format", format, name]);
}

async function removeObjects(kind: ObjectKind, names: string[]): Promise<void> {
  if (names.length === 0) return;
  if (kind === "container") await dockerOk(["rm", "--force", "--volumes", ...names]);
  else await dockerOk([kind, "rm", ...names]);
}

/** What of this run still exists on the host. */
export async function remainingResources(run: RunContext): Promise<RunResources> {
  const label = `${RUN_ID_LABEL}=${run.id}`;
  return {
    containers: await listByLabel("container", label),
    volumes: await listByLabel("volume", label),
    networks: await listByLabel("network", label),
    loopDevices: await loopDevicesUnder(run.dir),
  };
}

/** Removes everything of this run; containers first, as they hold the volumes and the network. */
export async function removeRunResources(run: RunContext): Promise<void> {
  const label = `${RUN_ID_LABEL}=${run.id}`;
  for (const kind of ["container", "volume", "network"] as const) {
    await removeObjects(kind, await listByLabel(kind, label));
  }
  await detachLoopDevicesUnder(run.dir);
  rmSync(run.dir, { recursive: true, force: true });
}

/** Removes the objects and loop devices of earlier runs whose jest process no longer exists. */
export async function removeLeftoversOfDeadRuns(): Promise<string[]> {
  const removed: string[] = [];
  for (const kind of ["container", "volume", "network"] as const) {
    const stale: string[] = [];
    for (const name of await listByLabel(kind, `${SYSTEM_TEST_LABEL}=true`)) {
      const pid = Number(await labelOf(kind, name, OWNER_PID_LABEL));
      if (!isProcessAlive(pid)) stale.push(name);
    }
    await removeObjects(kind, stale);
    removed.push(...stale.map((name) => `${kind} ${name}`));
  }
  if (existsSync(RUNS_DIR)) {
    for (const runId of readdirSync(RUNS_DIR)) {
      const dir = join(RUNS_DIR, runId);
      const pidFile = join(dir, "owner-pid");
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : NaN;
      if (Number.isFinite(pid) && isProcessAlive(pid)) continue;
      removed.push(...(await detachLoopDevicesUnder(dir)).map((device) => `loop ${device}`));
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return removed;
}
