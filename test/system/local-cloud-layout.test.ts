/**
 * Scenario e: the local cloud's layout (swarmlab:cloud docker) end to end. The nodes are booted
 * from the program's node description with the program's 127.0.0.1 port plan
 * (infra/local/ports.ts) for swarmlab:localPortOffset 100, as a second local stack on one machine
 * would have it: manager-0's sshd at 127.0.0.1:2322, its Docker API at 127.0.0.1:2476 and the
 * registry at 127.0.0.1:5100. The program's swarm steps (ManagerStep's provider, with the host
 * key pinned through the published port) run through 127.0.0.1:2322 only; this host reaches the
 * registry over TLS at 127.0.0.1:5100, as a laptop on Docker Desktop would, where container
 * addresses cannot be routed to, and an image it pushes there is the one a worker pulls at
 * <manager-0>:5000; and a student's bundle of this cluster works with the real docker CLI and
 * OpenSSH (harness/bundle-context-tests.ts).
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
import { declareBundleContextTests } from "./harness/bundle-context-tests";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureImage, REGISTRY_IMAGE, SERVICE_IMAGE } from "./harness/cached-image";
import {
  deployRegistry,
  labPki,
  LabPki,
  dockerLogin,
  enableDockerApi,
  internalEndpoint,
  preloadRegistryImage,
  pullFresh,
  registryLogin,
  RegistryLogin,
  registryTrustFor,
} from "./harness/registry";
import { localPublishedPorts } from "../../infra/local/ports";
import {
  localDockerApiPort,
  localRegistryPort,
  localSshPort,
} from "../../infra/config/local-ports";
import { bootstrapStep, readyGateStep } from "../../infra/swarm/swarm";
import {
  parseJoinTokens,
  parseSwarmNodes,
  readyGateScript,
} from "../../infra/swarm/remote-scripts";
import { REGISTRY_PORT } from "../../infra/config/registry-address";

const MINUTE = 60_000;
const LAB_MTU = 1450;
const LOCALHOST = "127.0.0.1";
/**
 * swarmlab:localPortOffset as a second local stack on one machine would set it: every port
 * below is the program's plan for it (2322, 2476, 5100), none of the defaults.
 */
const PORT_OFFSET = 100;
const SSH = `${LOCALHOST}:${localSshPort(0, PORT_OFFSET)}`;
const REGISTRY = `${LOCALHOST}:${localRegistryPort(PORT_OFFSET)}`;

describe("scenario e: the local cloud's layout, 1 manager + 2 workers on 127.0.0.1 ports", () => {
  const settings = testStackSettings("lena", LAB_MTU);
  let lab: Lab;
  let cluster: SwarmCluster;
  let pki: LabPki | undefined;
  let login: RegistryLogin | undefined;

  beforeAll(async () => {
    ({ lab, cluster } = await openScenario("e-local-cloud-layout", 221, {
      settings,
      managers: 1,
      workers: 2,
      publishedPortsOf: (node) => localPublishedPorts(node, PORT_OFFSET),
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
        expect(access.managers).toEqual([SSH]);
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
        expect(gate.answeredBy).toBe(SSH);
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
        `22/tcp -> ${SSH}`,
        `2376/tcp -> ${LOCALHOST}:${localDockerApiPort(PORT_OFFSET)}`,
        `${REGISTRY_PORT}/tcp -> ${REGISTRY}`,
      ].sort(),
    );
    for (const worker of cluster.nodes.filter((node) => node.role === "worker")) {
      expect(await published(worker)).toEqual([]);
    }
  });

  test(
    `the program's Docker API step on manager-0 (2376 inside, published at ${LOCALHOST}:${localDockerApiPort(PORT_OFFSET)})`,
    async () => {
      // Before the registry, as the program orders them: the step restarts dockerd.
      const enabled = await enableDockerApi(cluster, pki as LabPki);
      expect(enabled.exitCode).toBe(0);
    },
    4 * MINUTE,
  );

  test(
    `the registry answers this host over TLS with auth at ${REGISTRY}`,
    async () => {
      const pkiReady = pki as LabPki;
      await ensureImage(REGISTRY_IMAGE);
      await preloadRegistryImage(cluster);
      const registryAuth = registryLogin();
      login = registryAuth;
      const deployed = await lab.timings.phase("registry answering over TLS", () =>
        deployRegistry(cluster, pkiReady, registryAuth),
      );
      expect(deployed.exitCode).toBe(0);
      const url = `https://${REGISTRY}/v2/`;
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
      expect((await curl(["-u", `${registryAuth.user}:${registryAuth.password}`])).stdout).toBe(
        "200",
      );
    },
    8 * MINUTE,
  );

  test(
    `an image this host pushes to ${REGISTRY} is the one a worker pulls at <manager-0>:5000`,
    async () => {
      const auth = login as RegistryLogin;
      // This machine's own daemon, with a docker config of its own (the host's is untouched);
      // dockerd trusts 127.0.0.0/8 registries without a CA file by default.
      const config = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-laptop-"));
      const service = await ensureImage(SERVICE_IMAGE);
      const laptopName = `${REGISTRY}/laptop-push:1`;
      try {
        expect((await docker(["tag", service.tag, laptopName])).exitCode).toBe(0);
        const loggedIn = await docker(
          ["--config", config, "login", "-u", auth.user, "--password-stdin", REGISTRY],
          { input: auth.password },
        );
        expect({ exit: loggedIn.exitCode, out: loggedIn.stdout }).toMatchObject({
          exit: 0,
          out: expect.stringContaining("Login Succeeded"),
        });
        const pushed = await docker(["--config", config, "push", laptopName], {
          timeoutMs: 3 * MINUTE,
        });
        expect({ exit: pushed.exitCode, stderr: pushed.stderr }).toEqual({ exit: 0, stderr: "" });
        // The name a stack uses: the registry's private address, port 5000 inside the lab.
        const internal = `${internalEndpoint(cluster)}/laptop-push:1`;
        const worker = cluster.server(cluster.member("worker", 0)).container;
        expect((await dockerLogin(worker, internalEndpoint(cluster), auth)).exitCode).toBe(0);
        const pulled = await pullFresh(worker, internal);
        expect({ exit: pulled.exitCode, stderr: pulled.stderr }).toEqual({ exit: 0, stderr: "" });
      } finally {
        await docker(["rmi", laptopName]);
        fs.rmSync(config, { recursive: true, force: true });
      }
    },
    6 * MINUTE,
  );

  // A student's bundle of this cluster, written by the class tool and used with the real docker
  // CLI and OpenSSH: ssh_config's Port, known_hosts' [127.0.0.1]:<port>, the context's API port.
  declareBundleContextTests({
    lab: () => lab,
    cluster: () => cluster,
    login: () => login as RegistryLogin,
    pki: () => pki as LabPki,
  });
});
