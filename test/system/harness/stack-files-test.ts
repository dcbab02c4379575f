/**
 * A teacher's stack as teachers write them (issue 23), from a folder beside stacks/ as
 * swarmlab:stacksDir names one: test/system/stacks/labfiles (merge keys, a short-syntax port, a
 * file secret and a config, an external secret and a node label, the implicit default network).
 * The externals are made by the program's own external steps (infra/stacks/external-scripts.ts,
 * templates/stack-external.sh), the stack by its stack step, all through ManagerStep's provider.
 * Then, from inside the task: the secrets' content and mode, the config's content, and the MTU of
 * the interface on the stack's default network. Self-contained (its own stand-in preload and no
 * registry), so it can run alone with -t.
 */
import * as path from "node:path";
import { overlayMtu } from "../../../infra/config/settings";
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

export function declareStackFilesTest(context: StackTestContext): void {
  test(
    "a teacher's stack from swarmlab:stacksDir (merge keys, short port, file secret, config, external secret and node label, implicit default network): inside its task the secrets' content and mode, the config, and the overlay MTU",
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

      const mtu = overlayMtu(context.labMtu);
      // No registry: the stack pulls nothing from it (busybox is preloaded on every node).
      const steps = new StackSteps(
        managerSteps,
        { address: "registry.invalid:5000", user: "unused", password: "unused" },
        mtu,
        stackFolders([STACKS_DIR]),
      );
      // No IPVS here: the short-syntax port goes to host mode through the program's override.
      const deployed = await steps.deploy(STACK, {
        web: { ports: { "8080": { published: 8090, mode: "host" } } },
      });
      expect(deployed.services).toEqual([{ service: "labfiles_web", running: 1, wanted: 1 }]);

      // Placed by the node label the external step set.
      const [task] = await stackTasks(manager0, STACK);
      expect(task.node).toBe(worker.name);
      const node = cluster.server(worker).container;
      const container = (
        await execInNodeOk(
          node,
          `docker ps -q --filter label=com.docker.swarm.service.name=labfiles_web`,
        )
      ).trim();
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
      // The interface holding the task's address on the stack's default network, and its MTU.
      const address = (
        await execInNodeOk(
          node,
          `docker inspect ${container} --format '{{(index .NetworkSettings.Networks "labfiles_default").IPAddress}}'`,
        )
      ).trim();
      expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      const device = (
        await inTask(`ip -o -4 addr show | grep -F " ${address}/" | cut -d" " -f2`)
      ).trim();
      // The network carries the overlay MTU swarmlab gave it (the file sets none) ...
      expect(
        await execInNodeOk(
          manager0,
          `docker network inspect labfiles_default --format '{{index .Options "com.docker.network.driver.mtu"}}'`,
        ),
      ).toBe(String(mtu));
      // ... and the task's interface on it fits in the cloud network's VXLAN tunnel: without the
      // option it would be 1450 (1500 less VXLAN's 50), too big for a 1450 network. Measured here
      // (docker.io 20.10): the driver takes VXLAN's 50 off the option too, so it is mtu - 50.
      const taskMtu = Number(await inTask(`cat /sys/class/net/${device}/mtu`));
      expect(taskMtu).toBeGreaterThan(1000);
      expect(taskMtu).toBeLessThanOrEqual(mtu);
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
