/**
 * Scenario e: the local cloud's layout (swarmlab:cloud docker) end to end. The nodes are booted
 * from the program's node description with the program's 127.0.0.1 port plan
 * (infra/local/ports.ts): manager-0's sshd at 127.0.0.1:2222, its Docker API at 127.0.0.1:2376
 * and the registry at 127.0.0.1:5000. The program's swarm steps (ManagerStep's provider, with
 * the host key pinned through the published port) run through 127.0.0.1:2222 only, and this host
 * reaches the registry over TLS at 127.0.0.1:5000, as a laptop on Docker Desktop would, where
 * container addresses cannot be routed to.
 *
 * Timing: "local cloud: 1+2 Ready" is from manager-0's power-on to the ready gate passing, with
 * the node image that has no Docker (cloud-init installs it, as on a VM).
 */
import {
  closeScenario,
  openScenario,
  SCENARIO_CLOSE_TIMEOUT_MS,
  SCENARIO_OPEN_TIMEOUT_MS,
} from "./harness/scenario";
import { docker } from "./harness/docker";
import { Lab } from "./harness/lab";
import { ManagerSteps } from "./harness/manager-steps";
import { SwarmCluster } from "./harness/swarm-cluster";
import { testStackSettings } from "./harness/test-stack";
import { run } from "./harness/process";
import { ensureImage, REGISTRY_IMAGE } from "./harness/cached-image";
import {
  deployRegistry,
  labPki,
  LabPki,
  preloadRegistryImage,
  registryLogin,
  registryTrustFor,
} from "./harness/registry";
import { localPublishedPorts, LOCAL_SSH_BASE_PORT } from "../../infra/local/ports";
import { bootstrapStep, readyGateStep } from "../../infra/swarm/swarm";
import {
  parseJoinTokens,
  parseSwarmNodes,
  readyGateScript,
} from "../../infra/swarm/remote-scripts";
import { REGISTRY_PORT } from "../../infra/config/registry-address";
import { testLocalHealAndDestroy, watchEngineObjects } from "./harness/local-heal-tests";

const MINUTE = 60_000;
const LAB_MTU = 1450;
const LOCALHOST = "127.0.0.1";

describe("scenario e: the local cloud's layout, 1 manager + 2 workers on 127.0.0.1 ports", () => {
  const settings = testStackSettings("lena", LAB_MTU);
  let lab: Lab;
  let cluster: SwarmCluster;
  let pki: LabPki | undefined;
  const engineBefore = watchEngineObjects();

  beforeAll(async () => {
    ({ lab, cluster } = await openScenario("e-local-cloud-layout", 221, {
      settings,
      managers: 1,
      workers: 2,
      publishedPortsOf: localPublishedPorts,
    }));
    // The registry's certificate names 127.0.0.1 as manager-0's public address, as the program's
    // CA does with the local cloud's publicIp.
    const host = { privateIp: cluster.addressOf(cluster.manager0), publicIp: LOCALHOST };
    pki = await labPki(host, { name: cluster.manager0.name, privateIp: host.privateIp });
    cluster.spec.registryTrust = registryTrustFor(pki, host);
  }, SCENARIO_OPEN_TIMEOUT_MS);

  afterAll(async () => {
    pki?.remove();
    await closeScenario(lab);
  }, SCENARIO_CLOSE_TIMEOUT_MS);

  test(
    "local cloud: 1+2 Ready, the program's swarm steps reaching manager-0 only through 127.0.0.1",
    async () => {
      const steps = new ManagerSteps(cluster);
      const ready = await lab.timings.phase("local cloud: 1+2 Ready", async () => {
        await cluster.bootNode(cluster.manager0);
        const access = steps.access();
        expect(access.managers).toEqual([`${LOCALHOST}:${LOCAL_SSH_BASE_PORT}`]);
        const bootstrap = await steps.create("lena-bootstrap-tokens", bootstrapStep(access, 600));
        const tokens = parseJoinTokens(bootstrap.stdout);
        expect(tokens.joinAddr).toBe(`${cluster.addressOf(cluster.manager0)}:2377`);
        await Promise.all(
          cluster.nodes.slice(1).map((node) =>
            cluster.bootNode(node, {
              addr: tokens.joinAddr,
              token: node.role === "manager" ? tokens.manager : tokens.worker,
            }),
          ),
        );
        const expected = cluster.nodes.map((node) => ({
          name: node.name,
          role: node.role,
          address: cluster.addressOf(node),
        }));
        const gate = await steps.create(
          "lena-ready-check",
          readyGateStep(access, readyGateScript(expected, 600, [], "lena"), 600),
        );
        expect(gate.answeredBy).toBe(`${LOCALHOST}:${LOCAL_SSH_BASE_PORT}`);
        return parseSwarmNodes(gate.stdout);
      });
      expect(ready.map((node) => node.name).sort()).toEqual(
        cluster.nodes.map((n) => n.name).sort(),
      );
    },
    15 * MINUTE,
  );

  test("publishes manager-0's SSH, Docker API and registry on 127.0.0.1 only, the workers nothing", async () => {
    const published = async (node: (typeof cluster.nodes)[number]) => {
      const result = await docker(["port", cluster.server(node).container]);
      return result.stdout.trim().split("\n").filter(Boolean).sort();
    };
    expect(await published(cluster.manager0)).toEqual(
      [
        `22/tcp -> ${LOCALHOST}:${LOCAL_SSH_BASE_PORT}`,
        `2376/tcp -> ${LOCALHOST}:2376`,
        `${REGISTRY_PORT}/tcp -> ${LOCALHOST}:${REGISTRY_PORT}`,
      ].sort(),
    );
    for (const worker of cluster.nodes.filter((node) => node.role === "worker")) {
      expect(await published(worker)).toEqual([]);
    }
  });

  test(
    "the registry answers this host over TLS with auth at 127.0.0.1:5000",
    async () => {
      const pkiReady = pki as LabPki;
      await ensureImage(REGISTRY_IMAGE);
      await preloadRegistryImage(cluster);
      const login = registryLogin();
      const deployed = await lab.timings.phase("registry answering over TLS", () =>
        deployRegistry(cluster, pkiReady, login),
      );
      expect(deployed.exitCode).toBe(0);
      const url = `https://${LOCALHOST}:${REGISTRY_PORT}/v2/`;
      const curl = (auth: string[]) =>
        run(
          "curl",
          [
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--cacert",
            pkiReady.clientFiles.ca,
            ...auth,
            url,
          ],
          {
            timeoutMs: 30_000,
          },
        );
      expect((await curl([])).stdout).toBe("401");
      expect((await curl(["-u", `${login.user}:${login.password}`])).stdout).toBe("200");
    },
    8 * MINUTE,
  );

  testLocalHealAndDestroy(() => ({ lab, cluster }), engineBefore);
});
