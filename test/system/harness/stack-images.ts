/**
 * Stand-ins for the upstream images the stacks of stacks/ name (nothing can be pulled here): ONE
 * Debian base (stack-images/build-stack-base.sh, cached by its recipe's hash), tagged with every
 * exact name the compose files and Dockerfiles use, each with the command the upstream image
 * runs, and preloaded into the nodes. The compose files themselves are used unchanged.
 */
import { ensureImage, STACK_BASE_IMAGE } from "./cached-image";
import { docker, dockerOk } from "./docker";
import { pipe } from "./process";

/** Image name -> the upstream image's command (and working directory). */
export const STAND_INS: Record<string, { cmd: string[]; workdir?: string }> = {
  "busybox:1.36": { cmd: ["sh"] },
  "redis:7": { cmd: ["redis-server", "--protected-mode", "no"], workdir: "/data" },
  "python:3.12-slim": { cmd: ["python3"] },
  "haproxy:2.8": { cmd: ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"] },
};

const STAND_IN_LABEL = "org.swarmlab.stand-in-of";

/** Tags the base as every stand-in (again when the base changed); returns the names. */
export async function prepareStandIns(): Promise<{ names: string[]; cached: boolean }> {
  const base = await ensureImage(STACK_BASE_IMAGE);
  for (const [name, { cmd, workdir }] of Object.entries(STAND_INS)) {
    const current = await docker([
      "image",
      "inspect",
      "--format",
      `{{index .Config.Labels "${STAND_IN_LABEL}"}}|{{json .Config.Cmd}}`,
      name,
    ]);
    if (current.exitCode === 0 && current.stdout.trim() === `${base.tag}|${JSON.stringify(cmd)}`) {
      continue;
    }
    const container = await dockerOk(["create", base.tag, "/bin/true"]);
    try {
      await dockerOk([
        "commit",
        "--change",
        `CMD ${JSON.stringify(cmd)}`,
        ...(workdir ? ["--change", `WORKDIR ${workdir}`] : []),
        "--change",
        `LABEL ${STAND_IN_LABEL}=${base.tag}`,
        container,
        name,
      ]);
    } finally {
      await docker(["rm", container]);
    }
  }
  return { names: Object.keys(STAND_INS), cached: base.cached };
}

/** One `docker save` of all stand-ins (they share the base's layer) into each node. */
export async function preloadStandIns(names: string[], containers: string[]): Promise<void> {
  await Promise.all(
    containers.map((container) =>
      pipe(["docker", ["save", ...names]], ["docker", ["exec", "-i", container, "docker", "load"]]),
    ),
  );
}
