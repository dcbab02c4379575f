/**
 * Issue 24: what a student does with the bundle their teacher hands out, for real, declared inside
 * scenario a (Debian 12) once the registry and the Docker API are up, and inside scenario e (the
 * local cloud's layout: everything through 127.0.0.1 and its published ports).
 *
 * The bundle is written by the class tool's own writer (`writeBundles`, scripts/class/bundles.ts,
 * which `npm run class -- bundles` runs), from outputs shaped as `pulumi stack output --json
 * --show-secrets` gives them to it (PulumiClassWorkspace.secretOutputs): the same keys as
 * infra/index.ts exports, with what this cluster really has (manager-0's address for the floating
 * IP, the lab CA and client certificate of harness/registry.ts, the registry password, the lab's
 * SSH key, the managers' host-key pins taken at first contact by the program's pin provider,
 * harness/host-keys.ts). The writer reads manager-0's host key over SSH itself and checks it
 * against that pin, as it does for a real class.
 *
 * Then the student's steps, exactly as the bundle's README.txt gives them, with the real docker
 * CLI and OpenSSH, in a temporary HOME and DOCKER_CONFIG (the host's own docker config is
 * untouched): `docker context import`, `docker --context … node ls`, `login` (the registry's CA
 * is trusted where the push happens: manager-0, through the context), `build`, `push`; also `npm
 * run docker-context -- --bundle`; and `ssh -F ssh_config …` with the pinned known_hosts, which
 * must fail when the file holds another key or none.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { utils } from "ssh2";
import { DOCKER_API_PORT, REGISTRY_PORT } from "../../../infra/config/registry-address";
import type { HostKeys } from "../../../infra/swarm/host-key-check";
import { CONTEXT_FILE, PASSWORD_FILE, SSH_CONFIG_FILE } from "../../../scripts/bundle/contents";
import { knownHostsName } from "../../../scripts/bundle/host-keys";
import { writeBundles } from "../../../scripts/class/bundles";
import { sshEndpoint } from "../../../infra/swarm/ssh-endpoint";
import type { ClassWorkspace } from "../../../scripts/class/workspace";
import { CommandRunner, dockerContext } from "../../../scripts/docker-context/main";
import type { Lab } from "./lab";
import { internalEndpoint, LabPki, pullFresh, RegistryLogin, dockerLogin } from "./registry";
import type { SwarmCluster } from "./swarm-cluster";
import { prepareServiceImage } from "./test-service";

const MINUTE = 60_000;

export interface BundleContextTestContext {
  lab(): Lab;
  cluster(): SwarmCluster;
  login(): RegistryLogin;
  pki(): LabPki;
}

interface Shell {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A host command with the student's environment, in `cwd`; never throws on a non-zero exit. */
function student(
  env: NodeJS.ProcessEnv,
  cwd: string,
  file: string,
  args: string[],
  stdin?: string,
): Promise<Shell> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { env, cwd, timeout: 3 * MINUTE, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = (error as (Error & { code?: unknown }) | null)?.code;
        resolve({ exitCode: error ? (typeof code === "number" ? code : 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(stdin ?? "");
  });
}

/**
 * The outputs of the stack, as `pulumi stack output --json --show-secrets` prints them for this
 * cluster (one manager: hostKeys holds manager-0's pin only, as HostKeyPin makes one per manager).
 */
export function stackOutputsJson(context: BundleContextTestContext): string {
  const cluster = context.cluster();
  const lab = context.lab();
  const pki = context.pki();
  const login = context.login();
  // manager-0's address for the floating IP; in the local cloud's layout (scenario e) its sshd,
  // Docker API and registry are published on 127.0.0.1 instead, as the program's outputs say.
  const ssh0 = cluster.sshAddressOf(cluster.manager0);
  const local = ssh0 !== cluster.addressOf(cluster.manager0);
  const ip = local ? sshEndpoint(ssh0, 22).host : cluster.addressOf(cluster.manager0);
  const hostPort = (containerPort: number) =>
    cluster.spec.publishedPortsOf?.(cluster.manager0).find((p) => p.containerPort === containerPort)
      ?.hostPort ?? containerPort;
  const managers = cluster.nodes.filter((node) => node.role === "manager");
  const hostKeys: HostKeys = {};
  for (const node of managers) {
    const address = cluster.sshAddressOf(node);
    const pin = lab.hostKeys.byAddress[address];
    if (pin) hostKeys[address] = pin;
  }
  // The `nodes` output as the program gives a local stack (cluster.ts): managers' sshAddress.
  const nodes = cluster.nodes.map((node) => ({
    name: node.name,
    role: node.role,
    privateIp: cluster.addressOf(node),
    ...(node.role === "manager" ? { publicIp: ip, sshAddress: cluster.sshAddressOf(node) } : {}),
  }));
  return JSON.stringify({
    owner: cluster.spec.settings.owner,
    managerPublicIp: ip,
    ...(local ? { nodes } : {}),
    sshUser: lab.options.sshUser,
    sshPrivateKey: lab.key.privateKey,
    hostKeys,
    registry: `${ip}:${hostPort(REGISTRY_PORT)}`,
    registryInternal: internalEndpoint(cluster),
    registryUser: login.user,
    registryPassword: login.password,
    caCertificate: pki.caCertificate,
    dockerHost: `tcp://${ip}:${hostPort(DOCKER_API_PORT)}`,
    clientCertificate: pki.client.certificate,
    clientKey: pki.client.privateKey,
    stacks: {},
    stackSecrets: {},
  });
}

/** The class tool's view of one stack: its outputs, as PulumiClassWorkspace reads them. */
function outputsOnly(stack: string, json: string): ClassWorkspace {
  const unused = () => Promise.reject(new Error("not used by `class bundles`"));
  return {
    preview: unused,
    up: unused,
    destroy: unused,
    refresh: unused,
    cancel: unused,
    outputs: unused,
    status: unused,
    secretOutputs: async (id) =>
      id === stack ? (JSON.parse(json) as Record<string, unknown>) : {},
  };
}

export function declareBundleContextTests(context: BundleContextTestContext): void {
  let home: string;
  let bundle: string;
  let contextName: string;
  let env: NodeJS.ProcessEnv;

  afterAll(() => {
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  test(
    "a student's bundle: docker context import, node ls and a push to the registry through it",
    async () => {
      const lab = context.lab();
      const cluster = context.cluster();
      const stack = cluster.spec.settings.owner;
      contextName = `swarmlab-${stack}`;
      home = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-student-"));
      const handout = path.join(home, "handout");
      const [written] = await lab.timings.phase("bundle: class bundles (host key read)", () =>
        writeBundles(outputsOnly(stack, stackOutputsJson(context)), [stack], handout, 1),
      );
      expect(written).toEqual({ id: stack, dir: path.join(handout, stack) });
      bundle = written.dir as string;
      // The student's own machine: a fresh HOME and docker config, nothing of the host's.
      env = { ...process.env, HOME: home, DOCKER_CONFIG: path.join(home, ".docker") };
      const docker = (args: string[], stdin?: string) =>
        student(env, bundle, "docker", args, stdin);

      const imported = await docker(["context", "import", contextName, CONTEXT_FILE]);
      expect({ exit: imported.exitCode, stderr: imported.stderr }).toEqual({
        exit: 0,
        stderr: expect.stringContaining(`Successfully imported context "${contextName}"`),
      });
      const listed = await lab.timings.phase("bundle: docker --context node ls", () =>
        docker(["--context", contextName, "node", "ls", "--format", "{{.Hostname}}"]),
      );
      expect({ exit: listed.exitCode, stderr: listed.stderr }).toEqual({ exit: 0, stderr: "" });
      expect(listed.stdout.trim().split("\n").sort()).toEqual(
        cluster.nodes.map((node) => node.name).sort(),
      );

      // README.txt's step 2, word for word: login through the context, build, push.
      const registry = internalEndpoint(cluster);
      const password = fs.readFileSync(path.join(bundle, PASSWORD_FILE), "utf8");
      const login = await docker(
        [
          "--context",
          contextName,
          "login",
          "--username",
          context.login().user,
          "--password-stdin",
          registry,
        ],
        password,
      );
      expect({ exit: login.exitCode, out: login.stdout }).toEqual({
        exit: 0,
        out: expect.stringContaining("Login Succeeded"),
      });
      const manager0 = cluster.server(cluster.manager0).container;
      const base = await prepareServiceImage([manager0]);
      const buildDir = path.join(home, "hello");
      fs.mkdirSync(buildDir);
      fs.writeFileSync(
        path.join(buildDir, "Dockerfile"),
        `FROM ${base.tag}\nLABEL swarmlab.test=bundle\n`,
      );
      const reference = `${registry}/hello-from-bundle:1`;
      const built = await lab.timings.phase("bundle: docker --context build", () =>
        student(env, buildDir, "docker", ["--context", contextName, "build", "-t", reference, "."]),
      );
      // stderr carries the CLI's notice that the legacy builder runs (no buildx plugin here).
      expect(built).toMatchObject({ exitCode: 0 });
      const pushed = await lab.timings.phase("bundle: docker --context push", () =>
        docker(["--context", contextName, "push", reference]),
      );
      expect({ exit: pushed.exitCode, stderr: pushed.stderr }).toEqual({ exit: 0, stderr: "" });
      // The registry has it: a worker pulls it afresh.
      const worker = cluster.server(cluster.member("worker", 0)).container;
      expect((await dockerLogin(worker, registry, context.login())).exitCode).toBe(0);
      const pulled = await pullFresh(worker, reference);
      expect({ exit: pulled.exitCode, stderr: pulled.stderr }).toEqual({ exit: 0, stderr: "" });
      // The credentials are in the student's docker config, not the host's.
      const config = fs.readFileSync(path.join(home, ".docker", "config.json"), "utf8");
      expect(Object.keys((JSON.parse(config) as { auths: object }).auths)).toEqual([registry]);
      const hostContexts = await student(process.env, home, "docker", ["context", "ls", "-q"]);
      expect(hostContexts.stdout.split("\n")).not.toContain(contextName);
    },
    8 * MINUTE,
  );

  test(
    "npm run docker-context -- --bundle makes a context that lists the nodes",
    async () => {
      const cluster = context.cluster();
      // Another student machine: the script writes under HOME/.docker and runs the real CLI.
      const otherHome = path.join(home, "second-laptop");
      fs.mkdirSync(otherHome);
      const otherEnv = {
        ...process.env,
        HOME: otherHome,
        DOCKER_CONFIG: path.join(otherHome, ".docker"),
      };
      const realDocker: CommandRunner = async (args, stdin) => {
        const result = await student(otherEnv, otherHome, "docker", args, stdin);
        return { exitCode: result.exitCode, stderr: result.stderr };
      };
      const said: string[] = [];
      await context
        .lab()
        .timings.phase("bundle: npm run docker-context --bundle", () =>
          dockerContext(["--bundle", bundle], undefined, realDocker, otherHome, (l) =>
            said.push(l),
          ),
        );
      expect(said.join("\n")).toContain(`docker context ${contextName} is ready`);
      const listed = await student(otherEnv, otherHome, "docker", [
        "--context",
        contextName,
        "node",
        "ls",
        "--format",
        "{{.Hostname}}",
      ]);
      expect({ exit: listed.exitCode, stderr: listed.stderr }).toEqual({ exit: 0, stderr: "" });
      expect(listed.stdout.trim().split("\n").sort()).toEqual(
        cluster.nodes.map((node) => node.name).sort(),
      );
    },
    4 * MINUTE,
  );

  test(
    "ssh -F ssh_config reaches manager-0 with the pinned known_hosts, and refuses another key or none",
    async () => {
      const ssh = (dir: string) =>
        student(env, dir, "ssh", [
          "-F",
          SSH_CONFIG_FILE,
          "-o",
          "BatchMode=yes",
          "-o",
          "ConnectTimeout=20",
          contextName,
          "hostname",
        ]);
      const reached = await context
        .lab()
        .timings.phase("bundle: ssh -F ssh_config", () => ssh(bundle));
      expect({ exit: reached.exitCode, out: reached.stdout.trim() }).toEqual({
        exit: 0,
        out: context.cluster().manager0.name,
      });

      // The same bundle with another key for manager-0's address in known_hosts: refused.
      // (Its host field as the bundle writes it: `[127.0.0.1]:2222` in the local layout.)
      const ip = knownHostsName(context.cluster().sshAddressOf(context.cluster().manager0));
      const copy = (name: string, knownHosts: string) => {
        const dir = path.join(home, name);
        fs.cpSync(bundle, dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "known_hosts"), knownHosts);
        return dir;
      };
      const wrong = `${ip} ${utils.generateKeyPairSync("ed25519").public.split(" ").slice(0, 2).join(" ")}\n`;
      const changed = await ssh(copy("wrong-key", wrong));
      expect(changed.exitCode).toBe(255);
      expect(changed.stderr).toContain("REMOTE HOST IDENTIFICATION HAS CHANGED");
      expect(changed.stderr).toContain("Host key verification failed.");
      // No key at all: not learnt on first use either.
      const none = await ssh(copy("no-key", ""));
      expect(none.exitCode).toBe(255);
      expect(none.stderr).toContain("Host key verification failed.");
    },
    3 * MINUTE,
  );
}
