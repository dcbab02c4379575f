/**
 * Scenario s: the application stacks on a 1 manager + 2 workers cluster (Debian 12), with the
 * project's compose files unchanged, stand-in images for the upstream ones (nothing can be
 * pulled here) and the project's deploy/remove script.
 *
 * No IPVS in this kernel: the routing mesh cannot route, so the published port of `hostname` is
 * switched to `mode: host` through the program's own override (swarmlab:stackOverrides), which
 * leaves the compose file as it is. Host mode allows one task per node and port, so the scale
 * step here goes 3 -> 2 (in place) rather than up.
 *
 * Not here yet: `counter` and `proxy` build their images on the cluster and push them to its
 * registry; they need the registry phase of the lab-CA issue's harness.
 */
import {
  closeScenario,
  openScenario,
  SCENARIO_CLOSE_TIMEOUT_MS,
  SCENARIO_OPEN_TIMEOUT_MS,
} from "./harness/scenario";
import { execInNodeOk } from "./harness/docker";
import { Lab } from "./harness/lab";
import { preloadStandIns, prepareStandIns } from "./harness/stack-images";
import { deployStack, removeStack, stackNetworks, stackTasks } from "./harness/stacks";
import { SwarmCluster } from "./harness/swarm-cluster";
import { testStackSettings } from "./harness/test-stack";
import { waitFor } from "./harness/wait";
import { overlayMtu } from "../../infra/config/settings";

const MINUTE = 60_000;
const LAB_MTU = 1450;
const SUBNET_OCTET = 224;
const HOST_PORT = { ports: { "8080": { published: 8080, mode: "host" as const } } };

describe("scenario s on Debian 12: application stacks on 1 manager + 2 workers", () => {
  const SETTINGS = testStackSettings("sam", LAB_MTU, {});
  let lab: Lab;
  let cluster: SwarmCluster;
  let manager0: string;
  const mtu = overlayMtu(LAB_MTU);

  beforeAll(async () => {
    ({ lab, cluster } = await openScenario("s-stacks-bookworm", SUBNET_OCTET, {
      settings: SETTINGS,
      managers: 1,
      workers: 2,
    }));
    await lab.timings.phase("manager-0 boot to swarm active", () => cluster.bootManager0());
    await lab.timings.phase("workers boot to Ready (ready gate)", async () => {
      await cluster.bootJoiners();
      return cluster.readyGate();
    });
    manager0 = cluster.server(cluster.manager0).container;
    const standIns = await lab.timings.phase("stack stand-in images build/preload", async () => {
      const prepared = await prepareStandIns();
      await preloadStandIns(
        prepared.names,
        cluster.nodes.map((node) => cluster.server(node).container),
      );
      return prepared;
    });
    lab.timings.note(
      "stack stand-in images build/preload",
      standIns.cached ? "base cached" : "base built",
    );
  }, SCENARIO_OPEN_TIMEOUT_MS);

  afterAll(() => closeScenario(lab), SCENARIO_CLOSE_TIMEOUT_MS);

  test(
    "hostname converges with its replicas spread over the nodes, each page naming its node",
    async () => {
      const services = await lab.timings.phase("stacks converged", () =>
        deployStack(cluster, "hostname", mtu, { web: HOST_PORT }),
      );
      expect(services).toEqual([{ service: "hostname_web", running: 3, wanted: 3 }]);
      const tasks = await stackTasks(manager0, "hostname");
      expect(new Set(tasks.map((t) => t.node)).size).toBeGreaterThanOrEqual(2);
      for (const node of cluster.nodes) {
        if (!tasks.some((t) => t.node === node.name)) continue;
        const page = await execInNodeOk(
          manager0,
          `curl -sf http://${cluster.addressOf(node)}:8080/`,
        );
        expect(page).toContain(`served by node ${node.name}`);
      }
      const network = await execInNodeOk(
        manager0,
        "docker network inspect hostname_default --format '{{index .Options \"com.docker.network.driver.mtu\"}}'",
      );
      expect(network).toBe(String(mtu));
    },
    5 * MINUTE,
  );

  test(
    "a redeploy with nothing changed restarts nothing; an in-place scale keeps the other tasks",
    async () => {
      const before = await stackTasks(manager0, "hostname");
      await deployStack(cluster, "hostname", mtu, { web: HOST_PORT });
      expect(await stackTasks(manager0, "hostname")).toEqual(before);

      const scaled = await deployStack(cluster, "hostname", mtu, {
        web: { ...HOST_PORT, replicas: 2 },
      });
      expect(scaled).toEqual([{ service: "hostname_web", running: 2, wanted: 2 }]);
      const after = await stackTasks(manager0, "hostname");
      expect(after).toHaveLength(2);
      for (const task of after) expect(before.map((t) => t.id)).toContain(task.id);
    },
    5 * MINUTE,
  );

  test(
    "removal leaves no network of the stack behind",
    async () => {
      const removed = await lab.timings.phase("stack removed (networks gone)", () =>
        removeStack(cluster, "hostname", mtu),
      );
      expect(removed.exitCode).toBe(0);
      // The script waits until the managers list no network of the stack (what a redeploy needs);
      // workers drop their copy once their tasks' containers are gone, a little later (moby #32620).
      const { elapsedMs } = await waitFor(
        "no node to hold a network of stack hostname",
        async () => {
          const left = await Promise.all(
            cluster.nodes.map(async (node) => ({
              node: node.name,
              networks: await stackNetworks(cluster.server(node).container, "hostname"),
            })),
          );
          const holding = left.filter((entry) => entry.networks.length > 0);
          return { done: holding.length === 0, observed: JSON.stringify(holding) };
        },
        { timeoutMs: 60_000 },
      );
      lab.timings.note(
        "stack removed (networks gone)",
        `workers dropped theirs ${(elapsedMs / 1000).toFixed(1)} s after the script returned`,
      );
    },
    5 * MINUTE,
  );
});
