/**
 * Scenario d: a Debian 13 node whose image keeps docker-cli out of apt's reach (a pin at priority
 * -1, as a department's own image might carry). docker.io then brings dockerd without the CLI.
 * The node's docker-install.sh must stop at once and name the package, instead of waiting out its
 * deadline for `docker info` with a log that blames dockerd.
 *
 * Also here, because it needs only one node that answers SSH: a node whose host key changes
 * after it was pinned makes the next swarm step fail with the mismatch message, before anything
 * (authentication, command, secret stdin) reaches it (issue 24, item 2).
 */
import {
  closeScenario,
  openScenario,
  SCENARIO_CLOSE_TIMEOUT_MS,
  SCENARIO_OPEN_TIMEOUT_MS,
} from "./harness/scenario";
import { execInNode, execInNodeOk } from "./harness/docker";
import { hostKeyInside } from "./harness/host-keys";
import { ManagerSteps } from "./harness/manager-steps";
import { HostKeyMismatchError } from "./harness/ssh";
import { bootstrapStep } from "../../infra/swarm/swarm";
import { copyIntoServer } from "./harness/nova";
import { Lab } from "./harness/lab";
import { DEBIAN_13 } from "./harness/releases";
import { SwarmCluster } from "./harness/swarm-cluster";
import { testStackSettings } from "./harness/test-stack";
import { nodeDeadlines } from "../../infra/nodes/cloudinit";
import { waitFor } from "./harness/wait";

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

  test(
    "a changed host key fails the next swarm step with the mismatch message, before anything is sent",
    async () => {
      if (!lab.servers.has(cluster.manager0.name)) await cluster.bootNode(cluster.manager0);
      const server = cluster.server(cluster.manager0);
      const pinned = await lab.hostKeys.pin(server);
      // The pinned key lets the harness in.
      const session = await lab.ssh(server.name, 60_000);
      expect((await session.exec("true", { timeoutMs: 30_000 })).exitCode).toBe(0);
      session.close();

      // The server is re-keyed (a rebuild, or someone else answering at its address).
      // A second later than the harness's login above, so the log below starts after it.
      const since = (await execInNodeOk(server.container, "sleep 1; date +%s")).trim();
      await execInNodeOk(
        server.container,
        "rm -f /etc/ssh/ssh_host_* && ssh-keygen -A && systemctl restart ssh",
      );
      const now = await hostKeyInside(server);
      expect(now).not.toBe(pinned.fingerprint);

      const secret = `REGISTRY_PASSWORD=never-sent-${Date.now()}\n`;
      const steps = new ManagerSteps(cluster);
      const error = await steps
        .create("erin-bootstrap-tokens", {
          ...bootstrapStep(steps.access(), 60),
          secretStdin: secret,
        })
        .catch((e: Error) => e);
      const message = String(error);
      lab.timings.note("host key mismatch", message);
      console.log(`the step's failure:\n${message}`);
      expect(message).toContain(
        `swarm bootstrap: join tokens (erin-bootstrap-tokens): manager ${server.name} ` +
          `(${server.address}) showed SSH host key ${now}, but the key pinned for that server ` +
          `is ${pinned.fingerprint}.`,
      );
      expect(message).toContain("no other manager was tried");
      expect(message).toContain("pulumi up --refresh");
      expect(message).not.toContain("never-sent");
      // sshd saw the key exchange end, and no login: nothing was authenticated or run. The
      // connection's process (sshd-session since OpenSSH 9.8, sshd before) logs its "[preauth]"
      // line as it exits, often before journald has read its cgroup, so the entry may carry no
      // unit and `journalctl -u ssh` miss it (a CI run waited 20 s in vain): it is selected by
      // the syslog identifier the process itself writes. Polled, as journald stores it a moment
      // after the step's rejection can return.
      const { value: log } = await waitFor(
        "sshd's [preauth] line for the refused connection",
        async () => {
          const entries = await execInNodeOk(
            server.container,
            `journalctl -t sshd -t sshd-session --since @${since} --no-pager -o cat`,
          );
          return { done: /\[preauth\]/.test(entries), value: entries, observed: entries };
        },
        { timeoutMs: 20_000 },
      );
      expect(log).not.toMatch(/Accepted publickey|session opened/);
      // The harness's own SSH refuses the new key as well, at once.
      await expect(lab.ssh(server.name, 60_000)).rejects.toBeInstanceOf(HostKeyMismatchError);
    },
    10 * MINUTE,
  );
});
