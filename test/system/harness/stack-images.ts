/**
 * Stand-ins for the upstream images the stacks of stacks/ name (nothing can be pulled here):
 * committed from the system test's one Debian image (registry-image/build-registry-image.sh, the
 * registry's stand-in, which carries the stacks' packages too so a cold machine runs debootstrap
 * once), under every exact name the compose files and Dockerfiles use, each with the command the
 * upstream image runs, and preloaded into the nodes. The compose files are used unchanged.
 */
import { ensureImage, REGISTRY_IMAGE } from "./cached-image";
import { docker, dockerOk } from "./docker";
import { pipe } from "./process";

/** Image name -> the upstream image's command (and working directory). */
export const STAND_INS: Record<string, { cmd: string[]; workdir?: string }> = {
  "busybox:1.36.1": { cmd: ["sh"] },
  "redis:7.2.4": { cmd: ["redis-server", "--protected-mode", "no"], workdir: "/data" },
  "python:3.12.3-slim": { cmd: ["python3"] },
  "haproxy:2.8.5": { cmd: ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"] },
  // Not the visualizer (a Node.js app): a container in its place, with python3 for the checks
  // of what it can reach through its socket proxy (harness/stack-security-tests.ts).
  "dockersamples/visualizer:stable": {
    cmd: ["sh", "-c", "trap 'exit 0' TERM; sleep infinity & wait"],
  },
};

const STAND_IN_LABEL = "org.swarmlab.stand-in-of";

/**
 * Commits the base as every stand-in (again when the base changed); returns the names.
 *
 * The base is the registry's image: its ENTRYPOINT (`docker-registry serve`) must go, or every
 * stand-in would run the registry with the stand-in's command as arguments. `docker commit
 * --change 'ENTRYPOINT []'` does not do it (Docker 20.10 keeps the container's entrypoint when the
 * change's list is empty); a container created with `--entrypoint ""` has none, and a commit
 * keeps that. Its VOLUME /var/lib/registry and EXPOSE 5000 cannot be removed by a commit and stay:
 * harmless, a stand-in's task only gets an unused anonymous volume, and no stack publishes ports
 * by EXPOSE (the compose files name theirs).
 */
export async function prepareStandIns(): Promise<{ names: string[]; cached: boolean }> {
  const base = await ensureImage(REGISTRY_IMAGE);
  for (const [name, { cmd, workdir }] of Object.entries(STAND_INS)) {
    const current = await docker([
      "image",
      "inspect",
      "--format",
      `{{index .Config.Labels "${STAND_IN_LABEL}"}}|{{json .Config.Cmd}}|{{json .Config.Entrypoint}}`,
      name,
    ]);
    const wanted = `${base.tag}|${JSON.stringify(cmd)}|null`;
    if (current.exitCode === 0 && current.stdout.trim() === wanted) continue;
    const container = await dockerOk(["create", "--entrypoint", "", base.tag, "/bin/true"]);
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
