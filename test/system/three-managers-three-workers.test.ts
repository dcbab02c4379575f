/**
 * Scenario b: 3 managers + 3 workers. Raft with 3 managers tolerates one failure: with the leader
 * powered off, the remaining managers elect a new one and the swarm still accepts
 * `docker service create`.
 *
 * Then the self-healing of issue 11, with the program's ManagerStep provider functions running
 * for real over SSH (harness/manager-steps.ts): manager-0 (and a worker) deleted after a token
 * rotation and healed in the order of `pulumi up --refresh` (manager-0 joins the surviving
 * managers); a scale-down while no manager answers SSH, whose ghost the next gate removes; and
 * the swarm steps of a destroy after every manager's server was deleted, done within 60 s.
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
import { deleteServer, startServer, stopServer } from "./harness/nova";
import { docker, execInNodeOk } from "./harness/docker";
import { ManagerSteps } from "./harness/manager-steps";
import { SCRIPT_TIMEOUT_SECONDS } from "./harness/swarm-cluster";
import type { NodeIdentity } from "../../infra/config/naming";
import type { ManagerStepOutputs } from "../../infra/swarm/manager-step-provider";
import {
  parseJoinTokens,
  parseSwarmNodes,
  readyGateScript,
} from "../../infra/swarm/remote-scripts";
import {
  bootstrapStep,
  deleteReachSeconds,
  membershipStep,
  readyGateStep,
  rotationStep,
  survivorsJoinInfo,
  survivorsStep,
} from "../../infra/swarm/swarm";
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
  /** The leader the failover test powered off. */
  let poweredOff: NodeIdentity | undefined;

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
      poweredOff = leader;
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

  /** The program's ready gate over `expected`, through the provider; returns its node list. */
  async function readyGate(steps: ManagerSteps, expected: NodeIdentity[]) {
    const script = readyGateScript(
      expected.map((n) => ({ name: n.name, role: n.role, address: cluster.addressOf(n) })),
      SCRIPT_TIMEOUT_SECONDS,
      [],
      SETTINGS.owner,
    );
    const gate = await steps.create(
      "bob-ready-check",
      readyGateStep(steps.access(), script, SCRIPT_TIMEOUT_SECONDS),
    );
    return parseSwarmNodes(gate.stdout);
  }

  async function containerId(node: NodeIdentity): Promise<string> {
    return (await docker(["inspect", "-f", "{{.Id}}", cluster.server(node).container])).stdout;
  }

  test(
    "manager-0 and a worker lost after a token rotation: up --refresh re-creates just them, manager-0 joins the survivors",
    async () => {
      const steps = new ManagerSteps(cluster);
      const [manager0, manager1] = [cluster.manager0, cluster.member("manager", 1)];
      const worker0 = cluster.member("worker", 0);
      if (poweredOff) await startServer(cluster.server(poweredOff));
      // The deployment before the loss: all six Ready, the join steps created, tokens rotated.
      await lab.timings.phase("powered-off leader back to Ready (ready gate)", () =>
        readyGate(steps, cluster.nodes),
      );
      let survivors: ManagerStepOutputs = await steps.create(
        "bob-survivors",
        survivorsStep(steps.access()),
      );
      // Nothing runs on create: the join facts are read at refresh, when a loss is found.
      expect(survivors.answeredBy).toBe("");
      let bootstrap = await steps.create(
        "bob-bootstrap-tokens",
        bootstrapStep(steps.access(), SCRIPT_TIMEOUT_SECONDS),
      );
      const before = parseJoinTokens(bootstrap.stdout);
      await steps.create("bob-rotate-tokens", rotationStep(steps.access()));
      const service = async () =>
        (
          await execInNodeOk(
            cluster.server(manager1).container,
            "docker service inspect after-failover --format '{{.ID}} {{.CreatedAt}}'",
          )
        ).trim();
      const serviceBefore = await service();
      const untouched = cluster.nodes.filter((n) => n !== manager0 && n !== worker0);
      const idsBefore = await Promise.all(untouched.map(containerId));

      const lostAt = Date.now();
      await Promise.all([
        deleteServer(cluster.server(manager0)),
        deleteServer(cluster.server(worker0)),
      ]);
      // pulumi up --refresh: refresh re-reads the join facts on the first manager that answers.
      survivors = await steps.refresh("bob-survivors", survivors);
      bootstrap = await steps.refresh("bob-bootstrap-tokens", bootstrap);
      expect(survivors.answeredBy).toBe(cluster.addressOf(manager1));
      const join = survivorsJoinInfo(survivors.stdout, survivors.answeredBy);
      expect(join?.addr).toBe(`${cluster.addressOf(manager1)}:2377`);
      const current = parseJoinTokens(bootstrap.stdout);
      expect(current.worker).not.toBe(before.worker);
      expect(join?.token).toBe(current.manager);
      // The update: the lost servers are created with current tokens in their metadata.
      await Promise.all([
        cluster.bootNode(manager0, join),
        cluster.bootNode(worker0, { addr: current.joinAddr, token: current.worker }),
      ]);
      await steps.create(
        "bob-bootstrap-tokens",
        bootstrapStep(steps.access(), SCRIPT_TIMEOUT_SECONDS),
      );
      const gate = await readyGate(steps, cluster.nodes);
      lab.timings.add("lost node to healed (Ready)", lostAt, Date.now());
      lab.timings.note("lost node to healed (Ready)", `${manager0.name} and ${worker0.name}`);

      expect(gate.find((n) => n.name === manager0.name)).toMatchObject({
        role: "manager",
        state: "Ready",
      });
      const listed = await listSwarmNodes(cluster.server(manager1).container);
      // The lost nodes' stale entries were removed by the gate: six nodes, three managers.
      expect(listed.map((row) => row.hostname).sort()).toEqual(
        cluster.nodes.map((n) => n.name).sort(),
      );
      expect(listed.filter((row) => row.managerStatus !== "")).toHaveLength(3);
      expect(await service()).toBe(serviceBefore);
      await waitForRunningReplicas(
        cluster.server(manager1).container,
        "after-failover",
        2,
        2 * MINUTE,
      );
      expect(await Promise.all(untouched.map(containerId))).toEqual(idsBefore);
    },
    15 * MINUTE,
  );

  test(
    "a scale-down while no manager answers SSH: the membership is skipped with a warning, the next gate removes the ghost",
    async () => {
      const steps = new ManagerSteps(cluster);
      const worker2 = cluster.member("worker", 2);
      const managers = cluster.nodes.filter((n) => n.role === "manager");
      const sshd = (verb: string) =>
        Promise.all(
          managers.map((m) => execInNodeOk(cluster.server(m).container, `systemctl ${verb} ssh`)),
        );
      await sshd("stop");
      const started = Date.now();
      const outcome = await steps.delete(
        "bob-worker-2-membership",
        membershipStep({
          access: steps.access(),
          node: worker2,
          instanceId: "worker-2-server-id",
          timeoutSeconds: 300,
          deleteReachTimeoutSeconds: deleteReachSeconds(3),
        }),
      );
      lab.timings.add("membership delete with no manager answering", started, Date.now());
      expect(Date.now() - started).toBeLessThan((deleteReachSeconds(3) + 10) * 1000);
      expect(outcome.skipped).toBe(true);
      expect(outcome.warning).toMatch(
        /^swarm membership of bob-worker-2 \(bob-worker-2-membership\): no manager answered SSH within 20 s .*skipped its delete step/,
      );
      await deleteServer(cluster.server(worker2));
      await sshd("start");
      const remaining = cluster.nodes.filter((n) => n !== worker2);
      await lab.timings.phase("next ready gate removes the ghost", () =>
        readyGate(steps, remaining),
      );
      const listed = await listSwarmNodes(cluster.server(cluster.manager0).container);
      expect(listed.map((row) => row.hostname)).not.toContain(worker2.name);
    },
    10 * MINUTE,
  );

  test(
    "destroy after every manager's server was deleted: the swarm steps finish within 60 s, each with a warning",
    async () => {
      const steps = new ManagerSteps(cluster);
      const managers = cluster.nodes.filter((n) => n.role === "manager");
      await Promise.all(managers.map((m) => deleteServer(cluster.server(m))));
      const membership = (node: NodeIdentity) =>
        steps.delete(
          `bob-${node.role}-${node.index}-membership`,
          membershipStep({
            access: steps.access([node]),
            node,
            instanceId: `${node.name}-server-id`,
            timeoutSeconds: 300,
            deleteReachTimeoutSeconds: deleteReachSeconds(managers.length),
          }),
        );
      const started = Date.now();
      // Pulumi's delete order: the gate and rotation first (no delete script), then memberships:
      // workers' in parallel, managers' one after another (manager-2, then manager-1).
      const gate = await steps.delete(
        "bob-ready-check",
        readyGateStep(
          steps.access(),
          readyGateScript(
            [{ name: "bob-manager-0", role: "manager", address: cluster.addressOf(managers[0]) }],
            60,
          ),
          60,
        ),
      );
      expect(gate.skipped).toBe(false);
      const [workers, managerChain] = await Promise.all([
        Promise.all([cluster.member("worker", 0), cluster.member("worker", 1)].map(membership)),
        (async () => [await membership(managers[2]), await membership(managers[1])])(),
      ]);
      const elapsed = Date.now() - started;
      lab.timings.add("destroy swarm steps, every manager gone", started, Date.now());
      expect(elapsed).toBeLessThan(60_000);
      for (const outcome of [...workers, ...managerChain]) {
        expect(outcome.skipped).toBe(true);
        expect(outcome.warning).toMatch(
          /no manager answered SSH within \d+ s .*skipped its delete step/,
        );
      }
    },
    5 * MINUTE,
  );

  testTeardownLeavesNothing(() => lab);
});
