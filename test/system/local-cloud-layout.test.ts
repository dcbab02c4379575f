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
 * The nodes boot the program's own node image, infra/local/image/'s Dockerfile, built by the
 * harness (harness/local-cloud-image.ts) from the debootstrap bookworm image as BASE: the
 * stand-in for debian:bookworm, which the real build pulls from Docker Hub, unreachable here.
 * Twice: without Docker (DOCKER=none, cloud-init installs it, as on a VM) and with Docker
 * preinstalled (DOCKER=docker.io, the image a teacher builds once for swarmlab:localImage).
 *
 * Timing: "local cloud: 1+2 Ready" and "local cloud: 1+2 Ready, Docker preinstalled" are from
 * manager-0's power-on to the ready gate passing; "... workers started -> Ready" from the
 * workers' power-on (once the bootstrap gave their tokens) to the same end.
 */
import {
  closeScenario,
  openScenario,
  SCENARIO_CLOSE_TIMEOUT_MS,
  SCENARIO_OPEN_TIMEOUT_MS,
} from "./harness/scenario";
import { docker, dockerOk, execInNodeOk } from "./harness/docker";
import { Lab } from "./harness/lab";
import { ManagerSteps } from "./harness/manager-steps";
import { SwarmCluster } from "./harness/swarm-cluster";
import { testStackSettings } from "./harness/test-stack";
import { run } from "./harness/process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { declareBundleContextTests } from "./harness/bundle-context-tests";
import { ensureImage, REGISTRY_IMAGE, SERVICE_IMAGE } from "./harness/cached-image";
import {
  deployRegistry,
  dockerLogin,
  enableDockerApi,
  internalEndpoint,
  labPki,
  LabPki,
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
import { testLocalHealAndDestroy, watchEngineObjects } from "./harness/local-heal-tests";
import { testLocalForwarder } from "./harness/local-forwarder-tests";
import type { NodeIdentity } from "../../infra/config/naming";
import { DAEMON_JSON_PATH } from "../../infra/nodes/cloudinit";
import { nodeFiles } from "../../scripts/lib/user-data-view";
import { ensureLocalCloudImage, LocalImageDocker } from "./harness/local-cloud-image";
import { DEBIAN_12 } from "./harness/releases";

const MINUTE = 60_000;
const LAB_MTU = 1450;
const LOCALHOST = "127.0.0.1";
const OWNER = "lena";
/**
 * swarmlab:localPortOffset as a second local stack on one machine would set it: every port
 * below is the program's plan for it (2322, 2476, 5100), none of the defaults.
 */
const PORT_OFFSET = 100;
const SSH = `${LOCALHOST}:${localSshPort(0, PORT_OFFSET)}`;
const REGISTRY = `${LOCALHOST}:${localRegistryPort(PORT_OFFSET)}`;

/** The release label in the timing report: which image, made from which recipe. */
function imageRelease(dockerArg: LocalImageDocker) {
  const docker = dockerArg === "none" ? "no Docker" : "Docker preinstalled";
  return { ...DEBIAN_12, label: `Debian 12, infra/local/image (${docker})` };
}

/**
 * Opens scenario e's lab on the node image built from infra/local/image/ with DOCKER=`dockerArg`,
 * the cluster with the local cloud's port plan.
 */
function openLocalCloud(scenario: string, subnetOctet: number, dockerArg: LocalImageDocker) {
  const settings = testStackSettings(OWNER, LAB_MTU);
  return openScenario(
    scenario,
    subnetOctet,
    {
      settings,
      managers: 1,
      workers: 2,
      publishedPortsOf: (node) => localPublishedPorts(node, PORT_OFFSET),
    },
    imageRelease(dockerArg),
    () => ensureLocalCloudImage(dockerArg, settings.sshUser),
  );
}

/**
 * 1+2 as the program boots them: manager-0, the bootstrap step through 127.0.0.1:2222, the
 * workers with their tokens, the ready gate; timed as `phase`, and from the workers' power-on.
 */
async function bootToReady(lab: Lab, cluster: SwarmCluster, phase: string) {
  const steps = new ManagerSteps(cluster);
  return lab.timings.phase(phase, async () => {
    await cluster.bootNode(cluster.manager0);
    const access = steps.access();
    expect(access.managers).toEqual([SSH]);
    const bootstrap = await steps.create(`${OWNER}-bootstrap-tokens`, bootstrapStep(access, 600));
    const tokens = parseJoinTokens(bootstrap.stdout);
    expect(tokens.joinAddr).toBe(`${cluster.addressOf(cluster.manager0)}:2377`);
    const workersStart = Date.now();
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
      `${OWNER}-ready-check`,
      readyGateStep(access, readyGateScript(expected, 600, [], OWNER), 600),
    );
    lab.timings.add(`${phase}: workers started -> Ready`, workersStart, Date.now());
    expect(gate.answeredBy).toBe(SSH);
    const ready = parseSwarmNodes(gate.stdout);
    expect(ready.map((node) => node.name).sort()).toEqual(cluster.nodes.map((n) => n.name).sort());
    return ready;
  });
}

/**
 * Where a boot's time went, as notes on `phase`: per node, seconds from the container's start to
 * cloud-init's result (the end of its final stage, runcmd and so the swarm step included);
 * manager-0's three slowest cloud-init modules (`cloud-init analyze blame`); and when each node
 * script of runcmd logged first and last, from power-on (timestamps and step names only: no
 * message of the log is read).
 */
async function noteBootTimes(lab: Lab, cluster: SwarmCluster, phase: string): Promise<void> {
  const done = [];
  const steps = [];
  for (const node of cluster.nodes) {
    const container = cluster.server(node).container;
    const started =
      Date.parse(await dockerOk(["inspect", "--format", "{{.State.StartedAt}}", container])) / 1000;
    const finished = Number(
      await execInNodeOk(container, "stat -c %.3Y /run/cloud-init/result.json"),
    );
    done.push(`${node.name} ${(finished - started).toFixed(1)} s`);
    const stamps = await execInNodeOk(
      container,
      "grep -oE '^[0-9T:Z-]+ swarmlab\\[[a-z0-9-]+\\]' /var/log/cloud-init-output.log",
    );
    const spans = new Map<string, [number, number]>();
    for (const line of stamps.split("\n")) {
      const match = /^(\S+) swarmlab\[([a-z0-9-]+)\]$/.exec(line);
      if (!match) continue;
      const at = Date.parse(match[1] ?? "") / 1000 - started;
      const span = spans.get(match[2] ?? "");
      spans.set(match[2] ?? "", span ? [span[0], at] : [at, at]);
    }
    const spanText = [...spans].map(
      ([step, [from, to]]) => `${step} ${from.toFixed(0)}-${to.toFixed(0)}`,
    );
    steps.push(`${node.name}: ${spanText.join(", ")}`);
  }
  const blame = await execInNodeOk(
    cluster.server(cluster.manager0).container,
    "cloud-init analyze blame | grep -E '^ +[0-9]' | head -3 | sed 's/^ *//' | paste -sd,",
  );
  lab.timings.note(phase, `cloud-init done after power-on: ${done.join(", ")}`);
  lab.timings.note(phase, `manager-0's slowest cloud-init modules: ${blame}`);
  lab.timings.note(phase, `node scripts logging, s after power-on: ${steps.join("; ")}`);
}

/** When systemd first started docker.service this boot, and the journal's own words for it. */
const FIRST_DOCKER_START =
  "journalctl -b -u docker.service -o short-unix --no-pager | grep -m1 ' Starting ' | cut -d' ' -f1";

/**
 * What dockerd on `node` made of its first start: the storage driver it runs, the daemon.json on
 * disk, the default bridge's MTU and icc as dockerd applied them (Docker's defaults without the
 * file are 1500 and true), and whether it first started only after cloud-init wrote the file.
 */
async function dockerStart(cluster: SwarmCluster, node: NodeIdentity) {
  const container = cluster.server(node).container;
  const inNode = (command: string) => execInNodeOk(container, command);
  const bridgeOption = (option: string) =>
    inNode(`docker network inspect bridge --format '{{index .Options "${option}"}}'`);
  const firstStart = Number(await inNode(FIRST_DOCKER_START));
  const written = Number(await inNode(`stat -c %.6Y ${DAEMON_JSON_PATH}`));
  return {
    node: node.name,
    driver: await inNode("docker info --format '{{.Driver}}'"),
    daemonJson: JSON.parse(await inNode(`cat ${DAEMON_JSON_PATH}`)) as unknown,
    bridgeMtu: await bridgeOption("com.docker.network.driver.mtu"),
    icc: await bridgeOption("com.docker.network.bridge.enable_icc"),
    startedAfterDaemonJson: firstStart >= written,
    enabled: await inNode("systemctl is-enabled docker.service"),
  };
}

/** What every node's dockerd must show: the user-data's daemon.json, applied from its first start. */
function expectedDockerStart(cluster: SwarmCluster, node: NodeIdentity) {
  const file = nodeFiles(cluster.userData).find((entry) => entry.path === DAEMON_JSON_PATH);
  if (!file) throw new Error(`the user-data writes no ${DAEMON_JSON_PATH}`);
  const daemonJson = JSON.parse(file.content) as { "storage-driver": string; mtu: number };
  return {
    node: node.name,
    driver: daemonJson["storage-driver"],
    daemonJson,
    bridgeMtu: String(daemonJson.mtu),
    icc: "false",
    startedAfterDaemonJson: true,
    enabled: "enabled",
  };
}

describe("scenario e: the local cloud's layout, 1 manager + 2 workers on 127.0.0.1 ports", () => {
  let lab: Lab;
  let cluster: SwarmCluster;
  let pki: LabPki | undefined;
  let login: RegistryLogin | undefined;
  const engineBefore = watchEngineObjects();

  beforeAll(async () => {
    ({ lab, cluster } = await openLocalCloud("e-local-cloud-layout", 221, "none"));
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
      await bootToReady(lab, cluster, "local cloud: 1+2 Ready");
      await noteBootTimes(lab, cluster, "local cloud: 1+2 Ready");
    },
    15 * MINUTE,
  );

  test("every node's dockerd first started with the user-data's daemon.json", async () => {
    for (const node of cluster.nodes) {
      expect(await dockerStart(cluster, node)).toEqual(expectedDockerStart(cluster, node));
    }
  });

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

  testLocalForwarder(() => ({ lab, cluster }), PORT_OFFSET);

  testLocalHealAndDestroy(() => ({ lab, cluster }), engineBefore);
});

describe("scenario e2: the local cloud on the node image with Docker preinstalled", () => {
  let lab: Lab;
  let cluster: SwarmCluster;

  beforeAll(async () => {
    ({ lab, cluster } = await openLocalCloud(
      "e2-local-cloud-docker-preinstalled",
      222,
      "docker.io",
    ));
  }, SCENARIO_OPEN_TIMEOUT_MS);

  afterAll(async () => {
    await closeScenario(lab);
  }, SCENARIO_CLOSE_TIMEOUT_MS);

  test("the image has dockerd and the CLI, neither enabled: nothing starts them at boot", async () => {
    const image = lab.image.tag;
    const inImage = (command: string) =>
      run("docker", ["run", "--rm", "--entrypoint", "sh", image, "-c", command]);
    expect((await inImage("command -v dockerd && command -v docker")).stdout.trim()).toBe(
      "/usr/sbin/dockerd\n/usr/bin/docker",
    );
    const enabled = await inImage("systemctl is-enabled docker.service docker.socket");
    expect(enabled.stdout.trim().split("\n")).toEqual(["disabled", "disabled"]);
    expect(
      (await inImage(`test -e ${DAEMON_JSON_PATH} && echo present || echo absent`)).stdout.trim(),
    ).toBe("absent");
  });

  test(
    "local cloud: 1+2 Ready, Docker preinstalled",
    async () => {
      await bootToReady(lab, cluster, "local cloud: 1+2 Ready, Docker preinstalled");
      await noteBootTimes(lab, cluster, "local cloud: 1+2 Ready, Docker preinstalled");
    },
    15 * MINUTE,
  );

  test("the user-data skipped the install and dockerd first started with its daemon.json", async () => {
    for (const node of cluster.nodes) {
      const container = cluster.server(node).container;
      const log = await execInNodeOk(container, "cat /var/log/cloud-init-output.log");
      expect({
        node: node.name,
        skipped: /Docker is already installed .*skipping the installation/.test(log),
      }).toEqual({ node: node.name, skipped: true });
      expect(await dockerStart(cluster, node)).toEqual(expectedDockerStart(cluster, node));
    }
  });
});
