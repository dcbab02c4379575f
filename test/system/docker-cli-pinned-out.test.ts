/**
 * Scenario d: a Debian 13 node whose image keeps docker-cli out of apt's reach (a pin at priority
 * -1, as a department's own image might carry). docker.io then brings dockerd without the CLI.
 * The node's docker-install.sh must stop at once and name the package, instead of waiting out its
 * deadline for `docker info` with a log that blames dockerd.
 */
import {
  closeScenario,
  openScenario,
  SCENARIO_CLOSE_TIMEOUT_MS,
  SCENARIO_OPEN_TIMEOUT_MS,
} from "./harness/scenario";
import { execInNode, execInNodeOk } from "./harness/docker";
import { copyIntoServer } from "./harness/nova";
import { Lab } from "./harness/lab";
import { DEBIAN_13 } from "./harness/releases";
import { SwarmCluster } from "./harness/swarm-cluster";
import { testStackSettings } from "./harness/test-stack";
import { nodeDeadlines } from "../../infra/nodes/cloudinit";

const MINUTE = 60_000;
const LAB_MTU = 1450;
const PIN_PATH = "/etc/apt/preferences.d/90-no-docker-cli";
const PIN = "Package: docker-cli\nPin: release *\nPin-Priority: -1\n";

describe("scenario d on Debian 13: docker-cli pinned out of apt's reach", () => {
  const settings = testStackSettings("erin", LAB_MTU, { image: DEBIAN_13.image });
  let lab: Lab;
  let cluster: SwarmCluster;

  beforeAll(async () => {
    ({ lab, cluster } = await openScenario(
      "d-docker-cli-pinned-out-trixie",
      220,
      {
        settings,
        managers: 1,
        workers: 0,
        beforePowerOn: (server) => copyIntoServer(server, PIN_PATH, PIN),
      },
      DEBIAN_13,
    ));
  }, SCENARIO_OPEN_TIMEOUT_MS);

  afterAll(() => closeScenario(lab), SCENARIO_CLOSE_TIMEOUT_MS);

  test(
    "cloud-init fails at the install step, naming docker-cli, well before the dockerd deadline",
    async () => {
      const poweredOnAt = Date.now();
      await cluster.bootNode(cluster.manager0);
      const node = cluster.server(cluster.manager0).container;
      const status = await lab.timings.phase("power-on to cloud-init done (failure expected)", () =>
        execInNode(node, "cloud-init status --wait >/dev/null; echo $?", { timeoutMs: 8 * MINUTE }),
      );
      const elapsedSeconds = (Date.now() - poweredOnAt) / 1000;
      expect(status.stdout.trim()).not.toBe("0");

      const log = await execInNodeOk(
        node,
        "grep 'swarmlab\\[docker-install\\]' /var/log/cloud-init-output.log",
      );
      lab.timings.note(
        "power-on to cloud-init done (failure expected)",
        log.split("\n").pop() ?? "",
      );
      expect(log).toContain(
        "ERROR: dockerd is installed but the docker CLI is not; it is in package docker-cli",
      );
      // It failed on the missing piece, not by waiting for `docker info` to time out.
      expect(log).not.toContain("dockerd to answer");
      expect(elapsedSeconds).toBeLessThan(nodeDeadlines(settings.bootTimeoutSeconds).dockerStart);
      // What the pin did: dockerd came with docker.io, the CLI did not.
      expect((await execInNode(node, "command -v dockerd")).exitCode).toBe(0);
      expect((await execInNode(node, "command -v docker")).exitCode).not.toBe(0);
    },
    10 * MINUTE,
  );
});
