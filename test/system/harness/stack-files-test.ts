/**
 * A teacher's stack as teachers write them (issue 23), from a folder beside stacks/ as
 * swarmlab:stacksDir names one: test/system/stacks/labfiles (merge keys, a short-syntax port, a
 * file secret and a config, an external secret and a node label, the implicit default network).
 * The externals are made by the program's own external steps (infra/stacks/external-scripts.ts,
 * templates/stack-external.sh), the stack by its stack step, all through ManagerStep's provider.
 * Then, from inside the tasks: the secrets' content and mode, the config's content, and the MTU
 * of every interface on the stack's overlay networks (the implicit default, `default` named, a
 * declared one setting no MTU and one setting ${SWARMLAB_OVERLAY_MTU}). Self-contained (its own
 * stand-in preload and no registry), so it can run alone with -t.
 */
import * as path from "node:path";
import { overlayMtu, overlayTaskMtu } from "../../../infra/config/settings";
import { stackFolders } from "../../../infra/stacks/catalog";
import {
  externalSecretScripts,
  externalSecretStdin,
  ExternalScripts,
  nodeLabelScripts,
} from "../../../infra/stacks/external-scripts";
import type { ManagerStepArgs } from "../../../infra/swarm/manager-step";
import { execInNodeOk } from "./docker";
import { ManagerSteps } from "./manager-steps";
import { preloadStandIns, prepareStandIns } from "./stack-images";
import { stackNetworks, StackSteps, stackTasks } from "./stacks";
import type { StackTestContext } from "./stack-tests";

const MINUTE = 60_000;
const STACK = "labfiles";
/** As a course's Pulumi.<stack>.yaml would write it: relative to the project root. */
const STACKS_DIR = path.join("test", "system", "stacks");
const TOKEN = "external-token-from-pulumi-config";

/** The running container of `service`'s task on `node`. */
async function taskContainer(node: string, service: string): Promise<string> {
  const id = (
    await execInNodeOk(node, `docker ps -q --filter label=com.docker.swarm.service.name=${service}`)
  ).trim();
  expect(id).toMatch(/^[0-9a-f]+$/);
  return id;
}

/**
 * The MTU of each interface of `container`, by the network it is on, as the task sees it
 * (/sys/class/net inside the container): the interface is the one holding the task's address.
 */
async function interfaceMtus(node: string, container: string): Promise<Record<string, number>> {
  const networks = JSON.parse(
    await execInNodeOk(
      node,
      `docker inspect ${container} --format '{{json .NetworkSettings.Networks}}'`,
    ),
  ) as Record<string, { IPAddress: string }>;
  const mtus: Record<string, number> = {};
  for (const [network, { IPAddress: address }] of Object.entries(networks)) {
    expect({ network, address }).toEqual({
      network,
      address: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
    });
    const inTask = (command: string) =>
      execInNodeOk(node, `docker exec ${container} sh -c '${command}'`);
    const device = (
      await inTask(`ip -o -4 addr show | grep -F " ${address}/" | cut -d" " -f2`)
    ).trim();
    mtus[network] = Number(await inTask(`cat /sys/class/net/${device}/mtu`));
  }
  return mtus;
}

export function declareStackFilesTest(context: StackTestContext): void {
  test(
    "a teacher's stack from swarmlab:stacksDir (merge keys, short port, file secret, config, external secret and node label, implicit and named default network, declared overlays): inside its tasks the secrets' content and mode, the config, and the MTU of every overlay interface",
    async () => {
      const cluster = context.cluster();
      const manager0 = cluster.server(cluster.manager0).container;
      const containers = cluster.nodes.map((node) => cluster.server(node).container);
      const images = await prepareStandIns();
      await preloadStandIns(images.names, containers);

      const managerSteps = new ManagerSteps(cluster);
      const args = (scripts: ExternalScripts, secretStdin?: string): ManagerStepArgs => ({
        ...managerSteps.access(),
        description: scripts.description,
        create: scripts.create,
        delete: scripts.delete,
        ...(secretStdin !== undefined ? { secretStdin } : {}),
      });
      const worker = cluster.nodes.find((node) => node.role === "worker");
      if (worker === undefined) throw new Error("the scenario has no worker to label");
      const secret = args(externalSecretScripts("labfiles_token"), externalSecretStdin(TOKEN));
      const labels = args(nodeLabelScripts(worker.name, { labfiles: "yes" }));
      await managerSteps.create("labfiles-secret", secret);
      await managerSteps.create("labfiles-labels", labels);

      // No registry: the stack pulls nothing from it (busybox is preloaded on every node).
      const steps = new StackSteps(
        managerSteps,
        { address: "registry.invalid:5000", user: "unused", password: "unused" },
        overlayMtu(context.labMtu),
        stackFolders([STACKS_DIR]),
      );
      // No IPVS here: the short-syntax port goes to host mode through the program's override.
      const deployed = await steps.deploy(STACK, {
        web: { ports: { "8080": { published: 8090, mode: "host" } } },
      });
      expect(deployed.services).toEqual([
        { service: "labfiles_probe", running: 1, wanted: 1 },
        { service: "labfiles_web", running: 1, wanted: 1 },
      ]);

      // Placed by the node label the external step set.
      const tasks = await stackTasks(manager0, STACK);
      expect(tasks.map((task) => [task.name.split(".")[0], task.node])).toEqual([
        ["labfiles_probe", worker.name],
        ["labfiles_web", worker.name],
      ]);
      const node = cluster.server(worker).container;
      const container = await taskContainer(node, "labfiles_web");
      const inTask = (command: string) =>
        execInNodeOk(node, `docker exec ${container} sh -c '${command}'`);
      // execInNodeOk trims its output: the bytes are compared as base64.
      const bytes = (file: string) => inTask(`base64 ${file} | tr -d "\\n"`);
      const base64 = (text: string) => Buffer.from(text).toString("base64");
      expect(await bytes("/run/secrets/api_key")).toBe(base64("k-system-test-0123456789\n"));
      expect(await inTask("stat -c %a /run/secrets/api_key")).toBe("400");
      expect(await bytes("/run/secrets/token")).toBe(base64(TOKEN));
      expect(await inTask("stat -c %a /run/secrets/token")).toBe("440");
      expect(await bytes("/www/index.html")).toBe(base64("<p>labfiles page</p>\n"));
      // Every overlay network of the stack carries the overlay MTU as its option: the network's
      // own MTU, swarmlab's (default, back) or the file's ${SWARMLAB_OVERLAY_MTU} (front) ...
      const mtu = overlayMtu(context.labMtu);
      for (const network of ["labfiles_default", "labfiles_back", "labfiles_front"]) {
        const option = await execInNodeOk(
          manager0,
          `docker network inspect ${network} --format '{{index .Options "com.docker.network.driver.mtu"}}'`,
        );
        expect({ network, option }).toEqual({ network, option: String(mtu) });
      }
      // ... and inside the tasks each interface on them is the network's MTU less VXLAN's 50,
      // which the overlay driver takes off the option itself: the task's packets fit the tunnel.
      // Without the option it would be 1450 whatever the network, too big for a 1450 network.
      const taskMtu = overlayTaskMtu(context.labMtu);
      expect(await interfaceMtus(node, container)).toEqual({ labfiles_default: taskMtu });
      const probe = await taskContainer(node, "labfiles_probe");
      expect(await interfaceMtus(node, probe)).toEqual({
        labfiles_back: taskMtu,
        labfiles_default: taskMtu,
        labfiles_front: taskMtu,
      });
      // Served on the published port of the node running it.
      const page = await execInNodeOk(
        manager0,
        `curl -sf --max-time 5 http://${cluster.addressOf(worker)}:8090/`,
      );
      expect(page.trim()).toBe("<p>labfiles page</p>");

      // Removed: the stack first, then what it needed; nothing of either is left.
      expect((await steps.remove(deployed)).skipped).toBe(false);
      expect((await managerSteps.delete("labfiles-labels", labels)).skipped).toBe(false);
      expect((await managerSteps.delete("labfiles-secret", secret)).skipped).toBe(false);
      expect(await stackNetworks(manager0, STACK)).toEqual([]);
      expect(await execInNodeOk(manager0, "docker secret ls --format '{{.Name}}'")).not.toMatch(
        /labfiles/,
      );
      expect(
        await execInNodeOk(
          manager0,
          `docker node inspect ${worker.name} --format '{{json .Spec.Labels}}'`,
        ),
      ).not.toContain("labfiles");
    },
    10 * MINUTE,
  );
}
