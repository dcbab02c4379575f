/**
 * Teardown: removes every container, volume, network and loop device a run made, found by the run
 * id label (Docker objects) and the run directory (loop-device backing files). Also removes what
 * crashed earlier runs left behind: objects whose owner process is gone.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { docker, dockerOk } from "./docker";
import { detachLoopDevicesUnder, loopDevicesUnder } from "./loop-device";
import {
  isProcessAlive,
  OWNER_PID_LABEL,
  RUN_ID_LABEL,
  RunContext,
  RUNS_DIR,
  SYSTEM_TEST_LABEL,
} from "./run-context";
import { waitFor } from "./wait";

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

/** How long a network may keep endpoints of removed containers before teardown gives up. */
const STALE_ENDPOINT_TIMEOUT_MS = 30_000;

/**
 * Removes a network whose containers are already gone. The engine sometimes still lists an
 * endpoint of a container it has just removed ("has active endpoints", moby #17217, #33156):
 * those endpoints are stale, so they are disconnected by force and the removal tried again, until
 * a deadline. Returns the endpoints it had to force off, for the teardown's note.
 */
async function removeNetwork(name: string): Promise<string[]> {
  const forced: string[] = [];
  await waitFor(
    `network ${name} to be removed`,
    async () => {
      const removal = await docker(["network", "rm", name]);
      // "not found": removed already, by the engine's own cleanup or an earlier try.
      if (removal.exitCode === 0 || /not found|no such network/i.test(removal.stderr)) {
        return { done: true };
      }
      if (!removal.stderr.includes("active endpoints")) throw new Error(removal.stderr.trim());
      const endpoints = (
        await dockerOk([
          "network",
          "inspect",
          "--format",
          '{{range .Containers}}{{.Name}}{{"\\n"}}{{end}}',
          name,
        ])
      )
        .split("\n")
        .filter(Boolean);
      for (const endpoint of endpoints) {
        const disconnect = await docker(["network", "disconnect", "--force", name, endpoint]);
        if (disconnect.exitCode === 0) forced.push(`${endpoint} off ${name}`);
      }
      return {
        done: false,
        observed: `active endpoints: ${endpoints.join(", ") || "none listed"}`,
      };
    },
    { timeoutMs: STALE_ENDPOINT_TIMEOUT_MS },
  );
  return forced;
}

/** Removes the objects; returns what needed forcing (stale network endpoints). */
async function removeObjects(kind: ObjectKind, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  if (kind === "container") await dockerOk(["rm", "--force", "--volumes", ...names]);
  if (kind === "volume") await dockerOk(["volume", "rm", ...names]);
  if (kind !== "network") return [];
  const forced: string[] = [];
  for (const name of names) forced.push(...(await removeNetwork(name)));
  return forced;
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

/**
 * Removes everything of this run; containers first, as they hold the volumes and the network.
 * Returns the stale network endpoints it had to force off (empty when the engine kept up).
 */
export async function removeRunResources(run: RunContext): Promise<string[]> {
  const label = `${RUN_ID_LABEL}=${run.id}`;
  const forced: string[] = [];
  for (const kind of ["container", "volume", "network"] as const) {
    forced.push(...(await removeObjects(kind, await listByLabel(kind, label))));
  }
  await detachLoopDevicesUnder(run.dir);
  rmSync(run.dir, { recursive: true, force: true });
  return forced;
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
