/**
 * The application stacks' tests, declared inside scenario a (Debian 12) once its registry answers:
 * hostname, counter and proxy from stacks/, unchanged, deployed by the program's steps
 * (harness/stacks.ts) on 1 manager + 2 workers.
 *
 * No IPVS in this kernel, so the routing mesh cannot route: every published port is switched to
 * `mode: host` through the program's own override (swarmlab:stackOverrides), which leaves the
 * compose files as they are. Host mode allows one task per node and port, which the stacks'
 * 3 replicas spread over 3 nodes respect; the scale-up goes to proxy's `web`, which publishes
 * nothing (HAProxy reaches it over the overlay).
 */
import { overlayMtu } from "../../../infra/config/settings";
import { execInNodeOk } from "./docker";
import type { Lab } from "./lab";
import { ManagerSteps } from "./manager-steps";
import { internalEndpoint, RegistryLogin } from "./registry";
import { declareStackFilesTest } from "./stack-files-test";
import { preloadStandIns, prepareStandIns } from "./stack-images";
import {
  DeployedStack,
  httpGet,
  logoutEverywhere,
  Overrides,
  stackNetworks,
  StackSteps,
  StackTask,
  stackTasks,
} from "./stacks";
import type { SwarmCluster } from "./swarm-cluster";
import { waitFor } from "./wait";

const MINUTE = 60_000;

function hostPort(target: number, published: number): Overrides[string] {
  return { ports: { [String(target)]: { published, mode: "host" } } };
}

const OVERRIDES: Record<string, Overrides> = {
  hostname: { web: hostPort(8080, 8080) },
  counter: { web: hostPort(5000, 8000) },
  proxy: { haproxy: hostPort(8080, 8081), web: { replicas: 3 } },
};
const PROXY_SCALED: Overrides = { ...OVERRIDES.proxy, web: { replicas: 5 } };
const STACKS = ["hostname", "counter", "proxy"] as const;

export interface StackTestContext {
  lab(): Lab;
  cluster(): SwarmCluster;
  login(): RegistryLogin;
  labMtu: number;
}

export function declareStackTests(context: StackTestContext): void {
  const deployed: Record<string, DeployedStack> = {};
  let steps: StackSteps;
  let manager0: string;
  let standIns: ReturnType<typeof prepareStandIns> | undefined;

  const containers = () =>
    context.cluster().nodes.map((node) => context.cluster().server(node).container);
  const allTasks = async (): Promise<StackTask[]> =>
    (await Promise.all(STACKS.map((stack) => stackTasks(manager0, stack)))).flat();
  /** The task names HAProxy's page reports over `requests` requests to it. */
  const proxiedTasks = async (requests: number): Promise<Set<string>> => {
    const url = `http://${haproxyAddress()}:8081/`;
    const seen = new Set<string>();
    for (let i = 0; i < requests; i++) {
      const page = await httpGet(manager0, url);
      const task = /task (\S+)</.exec(page)?.[1];
      if (task) seen.add(task);
    }
    return seen;
  };
  let haproxyNode = "";
  const haproxyAddress = () => {
    const node = context.cluster().nodes.find((n) => n.name === haproxyNode);
    if (!node) throw new Error(`haproxy runs on ${haproxyNode}, not a node of this cluster`);
    return context.cluster().addressOf(node);
  };

  beforeAll(() => {
    // Built (or found in the cache) while the tests before these run.
    standIns = prepareStandIns();
    standIns.catch(() => undefined);
  });

  test(
    "hostname and counter (its image built on the cluster and pushed) converge; proxy too",
    async () => {
      const lab = context.lab();
      const cluster = context.cluster();
      manager0 = cluster.server(cluster.manager0).container;
      const registry = internalEndpoint(cluster);
      const login = context.login();
      steps = new StackSteps(
        new ManagerSteps(cluster),
        { address: registry, user: login.user, password: login.password },
        overlayMtu(context.labMtu),
      );
      const prepared = await lab.timings.phase("stack stand-in images preload", async () => {
        const images = await (standIns as ReturnType<typeof prepareStandIns>);
        await preloadStandIns(images.names, containers());
        return images;
      });
      lab.timings.note(
        "stack stand-in images preload",
        `${prepared.names.join(", ")} (${prepared.cached ? "cached" : "built"}): stand in for pulls`,
      );
      // Earlier checks logged the nodes in; the stack steps must log in by themselves.
      await logoutEverywhere(containers(), registry);

      await lab.timings.phase("stacks converged (hostname + counter, image built and pushed)", () =>
        Promise.all([
          steps.deploy("hostname", OVERRIDES.hostname).then((d) => (deployed.hostname = d)),
          steps
            .buildImages("counter")
            .then(() => steps.deploy("counter", OVERRIDES.counter))
            .then((d) => (deployed.counter = d)),
        ]),
      );
      await lab.timings.phase("stack proxy converged (image built and pushed)", async () => {
        await steps.buildImages("proxy");
        deployed.proxy = await steps.deploy("proxy", OVERRIDES.proxy);
      });
      expect(deployed.hostname.services).toEqual([
        { service: "hostname_web", running: 3, wanted: 3 },
      ]);
      expect(deployed.counter.services).toEqual([
        { service: "counter_redis", running: 1, wanted: 1 },
        { service: "counter_web", running: 3, wanted: 3 },
      ]);
      expect(deployed.proxy.services).toEqual([
        { service: "proxy_haproxy", running: 1, wanted: 1 },
        { service: "proxy_web", running: 3, wanted: 3 },
      ]);
      const mtu = await execInNodeOk(
        manager0,
        "docker network inspect counter_default --format '{{index .Options \"com.docker.network.driver.mtu\"}}'",
      );
      expect(mtu).toBe(String(overlayMtu(context.labMtu)));
    },
    8 * MINUTE,
  );

  test(
    "hostname's replicas spread over the nodes, each page naming the node that served it",
    async () => {
      const cluster = context.cluster();
      const tasks = await stackTasks(manager0, "hostname");
      expect(new Set(tasks.map((t) => t.node))).toEqual(new Set(cluster.nodes.map((n) => n.name)));
      for (const node of cluster.nodes) {
        const page = await httpGet(manager0, `http://${cluster.addressOf(node)}:8080/`);
        expect(page).toContain(`served by node ${node.name}`);
      }
    },
    2 * MINUTE,
  );

  test(
    "the counter increases across requests served by different replicas (one Redis)",
    async () => {
      const cluster = context.cluster();
      const answers: { visits: number; replica: string }[] = [];
      for (let round = 0; round < 2; round++) {
        for (const node of cluster.nodes) {
          const page = await httpGet(manager0, `http://${cluster.addressOf(node)}:8000/`);
          const match = /visits=(\d+) replica=(\S+)/.exec(page);
          if (!match) throw new Error(`counter page on ${node.name}: ${JSON.stringify(page)}`);
          answers.push({ visits: Number(match[1]), replica: match[2] });
        }
      }
      const visits = answers.map((a) => a.visits);
      expect(visits).toEqual([...visits].sort((a, b) => a - b));
      expect(new Set(visits).size).toBe(visits.length);
      expect(new Set(answers.map((a) => a.replica)).size).toBe(3);
    },
    2 * MINUTE,
  );

  test(
    "an in-place update (proxy's web 3 -> 5) keeps every other task; HAProxy reaches the new replicas unchanged",
    async () => {
      const lab = context.lab();
      haproxyNode = (await stackTasks(manager0, "proxy")).find((t) =>
        t.name.startsWith("proxy_haproxy."),
      )?.node as string;
      const { value: before } = await waitFor(
        "HAProxy to serve all 3 replicas of proxy_web",
        async () => {
          const seen = await proxiedTasks(9);
          return { done: seen.size === 3, value: seen, observed: [...seen].join(", ") };
        },
        { timeoutMs: 60_000 },
      );
      const tasksBefore = await allTasks();
      expect(await steps.changes(deployed.proxy, PROXY_SCALED)).toBe(true);
      deployed.proxy = await lab.timings.phase("stack update in place (proxy web 3 -> 5)", () =>
        steps.update(deployed.proxy, PROXY_SCALED),
      );
      expect(deployed.proxy.services).toContainEqual({
        service: "proxy_web",
        running: 5,
        wanted: 5,
      });
      const tasksAfter = await allTasks();
      expect(tasksAfter.length).toBe(tasksBefore.length + 2);
      for (const task of tasksBefore) expect(tasksAfter).toContainEqual(task);

      const { value: after, elapsedMs } = await waitFor(
        "HAProxy to serve all 5 replicas of proxy_web (found through tasks.web)",
        async () => {
          const seen = await proxiedTasks(15);
          return { done: seen.size === 5, value: seen, observed: [...seen].join(", ") };
        },
        { timeoutMs: 60_000 },
      );
      for (const task of before) expect(after).toContain(task);
      lab.timings.note(
        "stack update in place (proxy web 3 -> 5)",
        `HAProxy served the 2 new replicas ${(elapsedMs / 1000).toFixed(1)} s after the update converged`,
      );
    },
    4 * MINUTE,
  );

  test(
    "a redeploy with nothing changed is no change to Pulumi, and run anyway restarts nothing",
    async () => {
      const tasksBefore = await allTasks();
      for (const stack of STACKS) {
        const current = deployed[stack];
        expect({ stack, changes: await steps.changes(current, current.overrides) }).toEqual({
          stack,
          changes: false,
        });
      }
      // As `pulumi up` after the step was replaced: the same compose text deployed again.
      for (const stack of STACKS) await steps.deploy(stack, deployed[stack].overrides);
      expect(await allTasks()).toEqual(tasksBefore);
    },
    4 * MINUTE,
  );

  test(
    "removal (the stack steps' delete) leaves no network of the stacks on any node",
    async () => {
      const lab = context.lab();
      const outcomes = await lab.timings.phase("stacks removed (networks gone)", () =>
        Promise.all(STACKS.map((stack) => steps.remove(deployed[stack]))),
      );
      expect(outcomes.map((o) => o.skipped)).toEqual([false, false, false]);
      // The script waits until the managers list no network of the stack (what a redeploy needs);
      // workers drop their copy once their tasks' containers are gone, a little later (moby #32620).
      const { elapsedMs } = await waitFor(
        "no node to hold a network of the stacks",
        async () => {
          const holding = (
            await Promise.all(
              containers().flatMap((container) =>
                STACKS.map(async (stack) =>
                  (await stackNetworks(container, stack)).map((n) => `${container}: ${n}`),
                ),
              ),
            )
          ).flat();
          return { done: holding.length === 0, observed: holding.join(", ") };
        },
        { timeoutMs: 60_000 },
      );
      lab.timings.note(
        "stacks removed (networks gone)",
        `workers dropped theirs ${(elapsedMs / 1000).toFixed(1)} s after the steps returned`,
      );
    },
    4 * MINUTE,
  );

  // Independent of the stacks above (its own images, no registry): runs alone with -t too.
  declareStackFilesTest(context);
}
