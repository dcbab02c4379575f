/**
 * Issue 28: the lab checks on a real cluster, through the class tool's own path: the lab's
 * scripts planned by scripts/checks/plan.ts and run by run-checks.ts's SSH runner (ManagerStep's
 * provider over ssh2, each manager's host key pinned first, as the program pins it). The spread,
 * converged, rescheduled and rolling-update checks of the hostname lab fail before the lab's
 * steps and pass after them: a stack deployed (3 replicas of the test service image, no
 * published port: no IPVS here), an update rolled out one task at a time (and one of three at
 * once, which rolling-update must refuse), then a worker drained. The checks' variables name
 * this stack (--set), since the lab's own hostname stack publishes a port through the routing
 * mesh.
 */
import { ManagerSteps } from "./manager-steps";
import type { Lab } from "./lab";
import type { SwarmCluster } from "./swarm-cluster";
import { execInNode, execInNodeOk } from "./docker";
import { prepareServiceImage, waitForRunningReplicas } from "./test-service";
import { waitFor } from "./wait";
import { checkCluster } from "../../../scripts/checks/cluster-checks";
import { readChecks } from "../../../scripts/checks/lab-checks";
import type { CheckResult } from "../../../scripts/checks/plan";
import type { ClusterAccess } from "../../../scripts/checks/access";

const MINUTE = 60_000;
const STACK = "labcheck";

/**
 * `docker stack rm` removes the services, then at once the networks: a network whose tasks are
 * still shutting down is refused ("network ... is in use by task"), and rm exits 1. Tried again
 * until the stack has no service and no network left, as templates/swarm-stack.sh does (an rm
 * of what is already gone changes nothing).
 */
async function removeStack(node: string): Promise<void> {
  const namespace = `label=com.docker.stack.namespace=${STACK}`;
  await waitFor(
    `stack ${STACK} to be removed`,
    async () => {
      const rm = await execInNode(node, `docker stack rm ${STACK}`);
      const left = await execInNodeOk(
        node,
        `docker service ls -q --filter ${namespace}; docker network ls -q --filter ${namespace}`,
      );
      return {
        done: left.trim() === "",
        value: undefined,
        observed: rm.stderr.trim() || `left: ${left.trim()}`,
      };
    },
    { timeoutMs: MINUTE, intervalMs: 2000 },
  );
}
const SERVICE = `${STACK}_web`;
const REPLICAS = 3;

/** A stack as a student deploys it in the lab: replicas spread over the nodes. */
function composeText(image: string): string {
  return [
    'version: "3.8"',
    "services:",
    "  web:",
    `    image: ${image}`,
    "    deploy:",
    `      replicas: ${REPLICAS}`,
    "      placement: { preferences: [{ spread: node.id }] }",
    "",
  ].join("\n");
}

export function declareLabCheckTests(context: {
  lab: () => Lab;
  cluster: () => SwarmCluster;
}): void {
  /** Runs `checks` of the hostname lab on the cluster, as `npm run class -- check` does. */
  async function check(...checks: string[]): Promise<Record<string, CheckResult>> {
    const cluster = context.cluster();
    // The system test's ManagerAccess holds plain strings (Pulumi's Input types allow more).
    const steps = new ManagerSteps(cluster).access();
    const managers = steps.managers as string[];
    await cluster.lab.hostKeys.pinRunning(cluster.lab.serversAt(managers));
    const access: ClusterAccess = {
      stack: "alice",
      managers,
      hostKeys: cluster.lab.hostKeys.byAddress,
      user: steps.user as string,
      privateKey: steps.privateKey as string,
    };
    const result = await checkCluster(
      "alice",
      readChecks("hostname"),
      access,
      {},
      { only: checks, overrides: { SERVICE, STACK } },
    );
    if (result.problem) throw new Error(result.problem);
    return Object.fromEntries(result.results.map((r) => [r.check, r]));
  }

  const manager0 = () => context.cluster().server(context.cluster().manager0).container;

  test(
    "lab checks: spread, converged and rescheduled fail before the lab's steps",
    async () => {
      const results = await check("converged", "rescheduled", "spread");
      expect(results.converged).toMatchObject({
        status: "fail",
        message: `The stack ${STACK} has no services: deploy it first (docker stack ls lists what runs).`,
      });
      expect(results.spread).toMatchObject({
        status: "fail",
        message: `The service ${SERVICE} does not exist: deploy its stack first (docker stack ls lists what runs).`,
      });
      expect(results.rescheduled.status).toBe("fail");
    },
    3 * MINUTE,
  );

  test(
    "lab checks: after the stack is deployed, spread and converged pass; rescheduled still fails",
    async () => {
      const cluster = context.cluster();
      const image = await prepareServiceImage(
        cluster.nodes.map((n) => cluster.server(n).container),
      );
      await execInNodeOk(
        manager0(),
        `mkdir -p /root/${STACK} && cat > /root/${STACK}/compose.yaml && ` +
          `docker stack deploy --resolve-image never -c /root/${STACK}/compose.yaml ${STACK}`,
        { input: composeText(image.tag) },
      );
      await waitForRunningReplicas(manager0(), SERVICE, REPLICAS, 2 * MINUTE);
      const results = await check("converged", "rescheduled", "spread");
      expect(results.converged).toMatchObject({
        status: "pass",
        message: `All 1 services of the stack ${STACK} run every task they ask for.`,
        evidence: { stack: STACK, services: { [SERVICE]: `${REPLICAS}/${REPLICAS}` } },
      });
      expect(results.spread.status).toBe("pass");
      expect(results.spread.evidence.running).toBe(REPLICAS);
      expect(results.rescheduled).toMatchObject({
        status: "fail",
        message: expect.stringMatching(/^Every node is Ready and Active, so nothing had to move/),
      });
    },
    4 * MINUTE,
  );

  test(
    "lab checks: rolling-update fails before an update, passes after one at a time, fails after three at once",
    async () => {
      const before = await check("rolling-update");
      expect(before["rolling-update"]).toMatchObject({
        status: "fail",
        message: expect.stringMatching(
          new RegExp(`^${SERVICE} has not been updated since it was created`),
        ),
      });
      // `--detach=false`: the CLI returns once the update has converged.
      const update = (env: string, parallelism: number) =>
        execInNodeOk(
          manager0(),
          `docker service update --detach=false --quiet --env-add ${env} ` +
            `--update-parallelism ${parallelism} ${SERVICE}`,
        );
      await update("LAB_STEP=1", 1);
      const rolled = (await check("rolling-update"))["rolling-update"];
      expect(rolled).toMatchObject({
        status: "pass",
        message: `${SERVICE} was updated one task at a time: its ${REPLICAS} tasks were replaced in turn, each new one running before the next started.`,
      });
      expect(rolled.evidence.replaced).toHaveLength(REPLICAS);
      await update("LAB_STEP=2", REPLICAS);
      expect((await check("rolling-update"))["rolling-update"]).toMatchObject({
        status: "fail",
        message: expect.stringContaining("at the same time, not one at a time"),
      });
    },
    4 * MINUTE,
  );

  test(
    "lab checks: a drained worker's tasks rescheduled elsewhere pass rescheduled; then undone",
    async () => {
      const cluster = context.cluster();
      const worker = cluster.member("worker", 0);
      await execInNodeOk(manager0(), `docker node update --availability drain ${worker.name}`);
      try {
        await waitForRunningReplicas(manager0(), SERVICE, REPLICAS, 2 * MINUTE, [worker.name]);
        const { value } = await waitFor(
          "the rescheduled check to pass",
          async () => {
            const results = await check("rescheduled");
            return {
              done: results.rescheduled.status === "pass",
              value: results.rescheduled,
              observed: results.rescheduled.message,
            };
          },
          { timeoutMs: MINUTE, intervalMs: 3000 },
        );
        expect(value.message).toMatch(
          new RegExp(`^${SERVICE} moved off ${worker.name} \\(Drain\\)`),
        );
      } finally {
        await execInNodeOk(manager0(), `docker node update --availability active ${worker.name}`);
        await removeStack(manager0());
      }
    },
    4 * MINUTE,
  );
}
