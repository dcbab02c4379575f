/**
 * Issue 24's node and stack checks, declared inside scenario a (Debian 12) after the registry and
 * the Docker API are up, written here (not the CIS Docker Benchmark's script):
 *   - the node side after the benchmark, read on the booted nodes: certificate and key modes
 *     (3.7-3.14), icc off on the default bridge (2.2), no userland proxy (2.16), json-file logs
 *     rotated, as dockerd applies them;
 *   - the socket proxies of stacks/visualizer and stacks/monitoring (HAProxy built from the
 *     stacks' own folders by the program's image step) in front of a real dockerd: the reads the
 *     tools need answer, POST /containers/create and the rest are 403 and create nothing.
 *
 * The visualizer's image cannot be pulled here: its stand-in (harness/stack-images.ts) runs the
 * system test's Debian image, which has python3, in the visualizer's place. It stands for the
 * visualizer's position only (its networks, its environment, no socket): what it can do through
 * the proxy is what the visualizer's code could do. Its port is published through the program's
 * override in host mode (the teacher's opt-in; no IPVS here for the default's routing mesh).
 */
import { execInNode, execInNodeOk } from "./docker";
import type { Lab } from "./lab";
import { ManagerSteps } from "./manager-steps";
import { internalEndpoint, RegistryLogin } from "./registry";
import { preloadStandIns, prepareStandIns } from "./stack-images";
import { DeployedStack, StackSteps, stackTasks } from "./stacks";
import type { SwarmCluster } from "./swarm-cluster";
import { overlayMtu } from "../../../infra/config/settings";

const MINUTE = 60_000;

export interface StackSecurityContext {
  lab(): Lab;
  cluster(): SwarmCluster;
  login(): RegistryLogin;
  labMtu: number;
}

/** `stat` of FILES on `node` as "MODE OWNER:GROUP PATH" lines. */
async function modes(node: string, files: string): Promise<string[]> {
  const out = await execInNodeOk(node, `stat -c '%a %U:%G %n' ${files}`);
  return out.split("\n").sort();
}

/**
 * HTTP requests made with python3 from inside a container: one "METHOD PATH STATUS" line per
 * request. `target` is `tcp:HOST:PORT` or `unix:PATH`. Each request goes out in one write, a
 * POST with a real create body: HAProxy answers 403 and closes as soon as it has the headers, and
 * a body sent after them would meet a closed socket (EPIPE).
 */
function requestScript(target: string, requests: [string, string][]): string {
  return [
    "import http.client, json, socket",
    `target = ${JSON.stringify(target)}`,
    "def connect():",
    "    if target.startswith('unix:'):",
    "        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)",
    "        s.connect(target[5:])",
    "    else:",
    "        _, host, port = target.split(':')",
    "        s = socket.create_connection((host, int(port)))",
    "    s.settimeout(10)",
    "    return s",
    `for method, path in ${JSON.stringify(requests)}:`,
    "    body = json.dumps({'Image': 'busybox:1.36.1', 'Cmd': ['true']}).encode() if method == 'POST' else b''",
    "    head = '%s %s HTTP/1.1\\r\\nHost: docker\\r\\nContent-Type: application/json\\r\\n' % (method, path)",
    "    head += 'Content-Length: %d\\r\\nConnection: close\\r\\n\\r\\n' % len(body)",
    "    s = connect()",
    "    s.sendall(head.encode() + body)",
    "    r = http.client.HTTPResponse(s, method=method)",
    "    r.begin()",
    "    data = r.read()",
    "    s.close()",
    "    extra = ''",
    "    if path.endswith('/nodes') and r.status == 200:",
    "        extra = ' nodes=%d' % len(json.loads(data))",
    "    print('%s %s %d%s' % (method, path, r.status, extra))",
  ].join("\n");
}

/** The container of `service`'s one running task: its node's container and its id there. */
async function taskContainer(
  cluster: SwarmCluster,
  manager0: string,
  stack: string,
  service: string,
): Promise<{ node: string; id: string }> {
  const task = (await stackTasks(manager0, stack)).find((t) =>
    t.name.startsWith(`${stack}_${service}.`),
  );
  const node = cluster.nodes.find((n) => n.name === task?.node);
  if (!node) throw new Error(`${stack}_${service} runs on no node of this cluster (${task?.node})`);
  const container = cluster.server(node).container;
  const id = await execInNodeOk(
    container,
    `docker ps -q --filter label=com.docker.swarm.service.name=${stack}_${service}`,
  );
  if (id === "") throw new Error(`no running container of ${stack}_${service} on ${node.name}`);
  return { node: container, id };
}

export function declareStackSecurityTests(context: StackSecurityContext): void {
  test(
    "every node after the CIS Docker Benchmark: certificates 0444, keys 0400, icc and userland proxy off, logs rotated",
    async () => {
      const cluster = context.cluster();
      const manager0 = cluster.server(cluster.manager0).container;
      expect(
        await modes(
          manager0,
          "/etc/docker/tls/ca.pem /etc/docker/tls/server-cert.pem /etc/docker/tls/server-key.pem",
        ),
      ).toEqual([
        "400 root:root /etc/docker/tls/server-key.pem",
        "444 root:root /etc/docker/tls/ca.pem",
        "444 root:root /etc/docker/tls/server-cert.pem",
      ]);
      for (const node of cluster.nodes) {
        const container = cluster.server(node).container;
        const trust = await modes(container, "/etc/docker/certs.d/*/ca.crt");
        expect({ node: node.name, count: trust.length }).toEqual({ node: node.name, count: 2 });
        for (const line of trust) expect(line).toMatch(/^444 root:root \/etc\/docker\/certs\.d\//);

        // What dockerd made of daemon.json, not the file: the default bridge without icc, the
        // default log driver with its rotation.
        const icc = await execInNodeOk(
          container,
          `docker network inspect bridge --format '{{index .Options "com.docker.network.bridge.enable_icc"}}'`,
        );
        const logging = await execInNodeOk(container, "docker info --format '{{.LoggingDriver}}'");
        const config = JSON.parse(await execInNodeOk(container, "cat /etc/docker/daemon.json"));
        expect({
          node: node.name,
          icc,
          logging,
          userlandProxy: config["userland-proxy"],
          logOpts: config["log-opts"],
          liveRestore: config["live-restore"],
        }).toEqual({
          node: node.name,
          icc: "false",
          logging: "json-file",
          userlandProxy: false,
          logOpts: { "max-file": "3", "max-size": "10m" },
          liveRestore: undefined,
        });
      }
      // The registry publishes 5000 in host mode on manager-0: with the userland proxy on,
      // dockerd would run a docker-proxy process for it.
      const proxies = await execInNodeOk(
        manager0,
        "cat /proc/[0-9]*/comm 2>/dev/null | grep -x docker-proxy || true",
      );
      expect(proxies).toBe("");
      const registryTask = await execInNodeOk(
        manager0,
        "docker ps -q --filter label=com.docker.swarm.service.name=swarmlab-registry_registry",
      );
      const logConfig = JSON.parse(
        await execInNodeOk(
          manager0,
          `docker inspect --format '{{json .HostConfig.LogConfig}}' ${registryTask}`,
        ),
      );
      expect(logConfig).toEqual({
        Type: "json-file",
        Config: { "max-file": "3", "max-size": "10m" },
      });
    },
    2 * MINUTE,
  );

  describe("socket proxies", () => {
    let steps: StackSteps;
    let manager0: string;
    let visualizer: DeployedStack | undefined;

    afterAll(async () => {
      if (visualizer) await steps.remove(visualizer);
    }, 4 * MINUTE);

    test(
      "the visualizer's socket proxy answers GET /nodes and refuses POST /containers/create (403); the visualizer holds no socket",
      async () => {
        const lab = context.lab();
        const cluster = context.cluster();
        manager0 = cluster.server(cluster.manager0).container;
        const login = context.login();
        steps = new StackSteps(
          new ManagerSteps(cluster),
          { address: internalEndpoint(cluster), user: login.user, password: login.password },
          overlayMtu(context.labMtu),
        );
        await lab.timings.phase("visualizer stack (socket proxy built, deployed)", async () => {
          const images = await prepareStandIns();
          await preloadStandIns(
            images.names,
            cluster.nodes.map((node) => cluster.server(node).container),
          );
          await steps.buildImages("visualizer");
          visualizer = await steps.deploy("visualizer", {
            visualizer: { ports: { "8080": { published: 18082, mode: "host" } } },
          });
        });
        expect(visualizer?.services).toEqual([
          { service: "visualizer_docker-api", running: 1, wanted: 1 },
          { service: "visualizer_visualizer", running: 1, wanted: 1 },
        ]);

        const app = await taskContainer(cluster, manager0, "visualizer", "visualizer");
        // No bind mount at all (the socket least of all). The stand-in's base image declares
        // a VOLUME of its own (the registry's), an anonymous volume that is not the visualizer's.
        const mounts = JSON.parse(
          await execInNodeOk(app.node, `docker inspect --format '{{json .Mounts}}' ${app.id}`),
        ) as { Type: string; Source: string; Destination: string }[];
        expect(mounts.filter((m) => m.Type !== "volume")).toEqual([]);
        expect(mounts.map((m) => m.Destination)).toEqual(["/var/lib/registry"]);
        const requests: [string, string][] = [
          ["GET", "/nodes"],
          ["GET", "/v1.41/services"],
          ["GET", "/tasks"],
          ["HEAD", "/_ping"],
          ["POST", "/containers/create?name=swarmlab-through-the-proxy"],
          ["POST", "/v1.41/containers/create?name=swarmlab-through-the-proxy"],
          ["POST", "/services/create"],
          ["POST", `/containers/${app.id}/exec`],
          ["GET", "/containers/json"],
          ["GET", `/containers/${app.id}/json`],
          ["GET", "/secrets"],
          ["GET", "/nodes/../containers/json"],
        ];
        // The swarm's own count (a scale-up worker of an earlier test may still be in it).
        const swarmNodes = (await execInNodeOk(manager0, "docker node ls -q")).split("\n").length;
        const answers = await execInNodeOk(app.node, `docker exec -i ${app.id} python3 -`, {
          input: requestScript("tcp:docker-api:2375", requests),
        });
        expect(answers.split("\n")).toEqual([
          `GET /nodes 200 nodes=${swarmNodes}`,
          "GET /v1.41/services 200",
          "GET /tasks 200",
          "HEAD /_ping 200",
          ...requests.slice(4).map(([method, path]) => `${method} ${path} 403`),
        ]);
        // Refused before dockerd: nothing was created on the proxy's node.
        const proxy = await taskContainer(cluster, manager0, "visualizer", "docker-api");
        expect(
          await execInNodeOk(
            proxy.node,
            "docker ps -a -q --filter name=swarmlab-through-the-proxy",
          ),
        ).toBe("");
      },
      8 * MINUTE,
    );

    test(
      "monitoring's socket proxy answers GET /info on its UNIX socket and refuses POST /containers/create (403)",
      async () => {
        const lab = context.lab();
        // The image the program builds from stacks/monitoring/docker-api, on manager-0 (the first
        // manager that answers builds it), run with the stack's mounts.
        const [reference] = await lab.timings.phase("monitoring socket proxy built", () =>
          steps.buildImages("monitoring"),
        );
        const image =
          reference
            .split("\n")
            .filter((l) => l.trim() !== "")
            .pop()
            ?.trim() ?? "";
        expect(image).toMatch(/\/monitoring-docker-api:/);
        const name = "swarmlab-monitoring-proxy-check";
        await execInNodeOk(
          manager0,
          `docker run -d --name ${name} -v /var/run/docker.sock:/var/run/docker.sock ` +
            `-v ${name}:/run/docker-api ${image}`,
        );
        try {
          const client = `docker run --rm -i -v ${name}:/run/docker-api:ro --entrypoint python3 python:3.12.3-slim -`;
          const requests: [string, string][] = [
            ["HEAD", "/_ping"],
            ["GET", "/v1.41/info"],
            ["GET", "/version"],
            ["POST", "/containers/create?name=swarmlab-through-the-proxy"],
            ["GET", "/containers/json"],
            ["GET", "/v1.41/secrets"],
          ];
          const script = requestScript("unix:/run/docker-api/docker.sock", requests);
          const answers = await execInNodeOk(
            manager0,
            `for i in $(seq 50); do [ -S /var/lib/docker/volumes/${name}/_data/docker.sock ] && break; sleep 0.2; done; ${client}`,
            { input: script },
          );
          expect(answers.split("\n")).toEqual([
            "HEAD /_ping 200",
            "GET /v1.41/info 200",
            "GET /version 200",
            ...requests.slice(3).map(([method, path]) => `${method} ${path} 403`),
          ]);
          expect(
            await execInNodeOk(
              manager0,
              "docker ps -a -q --filter name=swarmlab-through-the-proxy",
            ),
          ).toBe("");
        } finally {
          await execInNode(manager0, `docker rm -f ${name}; docker volume rm ${name}`);
        }
      },
      4 * MINUTE,
    );
  });
}
