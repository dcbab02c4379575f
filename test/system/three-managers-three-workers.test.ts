/**
 * Scenario b: 3 managers + 3 workers. Raft with 3 managers tolerates one failure: with the leader
 * powered off, the remaining managers elect a new one and the swarm still accepts
 * `docker service create`.
 */
import {
  closeScenario,
  openScenario,
  SCENARIO_CLOSE_TIMEOUT_MS,
  SCENARIO_OPEN_TIMEOUT_MS,
} from "./harness/scenario";
import { testTeardownLeavesNothing } from "./harness/teardown-test";
import { testStackSettings } from "./harness/test-stack";
import { execInNode } from "./harness/docker";
import { Lab } from "./harness/lab";
import { stopServer } from "./harness/nova";
import { SwarmCluster } from "./harness/swarm-cluster";
import { leaderOf, listSwarmNodes } from "./harness/swarm-queries";
import { prepareServiceImage, waitForRunningReplicas } from "./harness/test-service";
import { waitFor } from "./harness/wait";

const MINUTE = 60_000;
const LAB_MTU = 1450;
const SETTINGS = testStackSettings("bob", LAB_MTU);

describe("scenario b: 3 managers + 3 workers, one manager lost", () => {
  let lab: Lab;
  let cluster: SwarmCluster;

  beforeAll(async () => {
    ({ lab, cluster } = await openScenario("b-three-managers-three-workers", 214, {
      settings: SETTINGS,
      managers: 3,
      workers: 3,
    }));
  }, SCENARIO_OPEN_TIMEOUT_MS);

  afterAll(() => closeScenario(lab), SCENARIO_CLOSE_TIMEOUT_MS);

  test(
    "all six nodes join (managers with the manager token) and are Ready",
    async () => {
      await lab.timings.phase("manager-0 boot to swarm active", () => cluster.bootManager0());
      const gate = await lab.timings.phase("5 nodes boot to Ready (ready gate)", async () => {
        await cluster.bootJoiners();
        return cluster.readyGate();
      });
      expect(gate.filter((n) => n.role === "manager")).toHaveLength(3);
      expect(gate.filter((n) => n.role === "worker")).toHaveLength(3);
      const listed = await listSwarmNodes(cluster.server(cluster.manager0).container);
      expect(listed.filter((row) => row.managerStatus === "Leader")).toHaveLength(1);
      expect(listed.filter((row) => row.managerStatus === "Reachable")).toHaveLength(2);
    },
    15 * MINUTE,
  );

  test(
    "with the leader powered off, another manager accepts docker service create",
    async () => {
      const listed = await listSwarmNodes(cluster.server(cluster.manager0).container);
      const leader = cluster.node(leaderOf(listed));
      // Any other manager will do; manager-1 unless it is the leader.
      const survivor = cluster.member("manager", leader.index === 1 ? 2 : 1);
      const survivorContainer = cluster.server(survivor).container;
      const image = await prepareServiceImage(
        cluster.nodes.filter((n) => n !== leader).map((n) => cluster.server(n).container),
      );

      const stoppedAt = Date.now();
      await stopServer(cluster.server(leader));
      // Until a new leader is elected the create fails ("rpc error ... no leader"): poll it.
      await waitFor(
        `a surviving manager (${survivor.name}) to accept docker service create`,
        async () => {
          const create = await execInNode(
            survivorContainer,
            `docker service create --detach --quiet --no-resolve-image --name after-failover --replicas 2 ${image.tag}`,
          );
          if (create.exitCode === 0) return { done: true };
          // A create that timed out on the client may still have been committed by the raft.
          const exists = await execInNode(
            survivorContainer,
            "docker service inspect after-failover",
          );
          return { done: exists.exitCode === 0, observed: create.stderr.trim() };
        },
        { timeoutMs: 2 * MINUTE, intervalMs: 2000 },
      );
      lab.timings.add("leader stop to service create accepted", stoppedAt, Date.now());
      lab.timings.note("leader stop to service create accepted", `${leader.name} was the leader`);
      const { byNode } = await waitForRunningReplicas(
        survivorContainer,
        "after-failover",
        2,
        2 * MINUTE,
        [leader.name],
      );
      expect([...byNode.values()].reduce((a, b) => a + b, 0)).toBe(2);
      const after = await listSwarmNodes(survivorContainer);
      expect(leaderOf(after)).not.toBe(leader.name);
      expect(after.find((row) => row.hostname === leader.name)?.managerStatus).toBe("Unreachable");
    },
    8 * MINUTE,
  );

  testTeardownLeavesNothing(() => lab);
});
