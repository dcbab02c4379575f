/**
 * The swarm service the checks deploy: a locally built busybox image (nothing can be pulled here),
 * preloaded into every node, run without published ports (no IPVS in this kernel, so no routing
 * mesh; host-mode ports would cap tasks at one per node and hide rescheduling).
 */
import { CachedImage, ensureImage, preloadImage, SERVICE_IMAGE } from "./cached-image";
import { execInNodeOk } from "./docker";
import { runningByNode, runningTasks } from "./swarm-queries";
import { waitFor } from "./wait";

export async function prepareServiceImage(containers: string[]): Promise<CachedImage> {
  const image = await ensureImage(SERVICE_IMAGE);
  await Promise.all(containers.map((container) => preloadImage(image.tag, container)));
  return image;
}

export async function createService(
  manager: string,
  name: string,
  image: string,
  replicas: number,
): Promise<void> {
  // --no-resolve-image: the tag exists only in the nodes' local stores, there is no registry.
  await execInNodeOk(
    manager,
    `docker service create --detach --quiet --no-resolve-image --name ${name} --replicas ${replicas} ${image}`,
  );
}

/** Waits until `replicas` tasks are Running, none on `excluded` nodes; returns tasks per node. */
export async function waitForRunningReplicas(
  manager: string,
  service: string,
  replicas: number,
  timeoutMs: number,
  excluded: string[] = [],
): Promise<{ byNode: Map<string, number>; elapsedMs: number }> {
  const { value, elapsedMs } = await waitFor(
    `${replicas} running tasks of ${service}${excluded.length ? ` off ${excluded.join(", ")}` : ""}`,
    async () => {
      const byNode = runningByNode(await runningTasks(manager, service));
      const total = [...byNode.values()].reduce((sum, n) => sum + n, 0);
      const onExcluded = excluded.some((node) => byNode.has(node));
      return {
        done: total === replicas && !onExcluded,
        value: byNode,
        observed: JSON.stringify(Object.fromEntries(byNode)),
      };
    },
    { timeoutMs, intervalMs: 1000 },
  );
  return { byNode: value, elapsedMs };
}
