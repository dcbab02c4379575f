/**
 * Reboots of a node, as an operator would do them on a VM: a plain reboot (power cycle with a
 * clean systemd shutdown), and "first boot again" (`cloud-init clean` then reboot), which re-runs
 * every per-instance step of the node's user-data — the harshest test of "safe to re-run".
 */
import { dockerOk, execInNode, execInNodeOk } from "./docker";
import { waitFor } from "./wait";

const BOOT_TIMEOUT_MS = 5 * 60_000;

async function powerCycle(container: string): Promise<void> {
  // The stop signal is systemd's clean halt; 30 s is a VM's ACPI grace period.
  await dockerOk(["restart", "--time", "30", container], { timeoutMs: 90_000 });
}

/** Waits for cloud-init to be done and dockerd to answer with the swarm active. */
async function waitForNodeUp(container: string): Promise<void> {
  const { value: cloudInit } = await waitFor(
    `cloud-init on ${container} to finish`,
    async () => {
      const status = await execInNode(container, "cloud-init status");
      const line = status.stdout.trim();
      const finished = line === "status: done" || line.includes("error");
      return { done: finished, value: line, observed: line || status.stderr.trim() };
    },
    { timeoutMs: BOOT_TIMEOUT_MS, intervalMs: 2000 },
  );
  if (cloudInit !== "status: done") {
    // What a student would look at first: cloud-init's own account of the failure, then what the
    // node's scripts said (their lines carry "swarmlab[<step>]").
    const report = await execInNode(
      container,
      "cloud-init status --long; echo '--- swarmlab lines of /var/log/cloud-init-output.log:'; " +
        "grep -a 'swarmlab\\[' /var/log/cloud-init-output.log | tail -n 40",
    );
    throw new Error(`cloud-init on ${container}: ${cloudInit}\n${report.stdout}${report.stderr}`);
  }
  await waitFor(
    `dockerd on ${container} to answer with the swarm active`,
    async () => {
      const state = await execInNode(container, "docker info --format '{{.Swarm.LocalNodeState}}'");
      return {
        done: state.stdout.trim() === "active",
        observed: state.stdout.trim() || state.stderr.trim(),
      };
    },
    { timeoutMs: BOOT_TIMEOUT_MS, intervalMs: 2000 },
  );
}

/**
 * A plain reboot; returns once systemd has finished booting (running or degraded). What runs then
 * is up to the node: see the scenario for why Docker's volume is not remounted in a container.
 */
export async function rebootServer(container: string): Promise<string> {
  await powerCycle(container);
  const { value } = await waitFor(
    `systemd on ${container} to finish booting`,
    async () => {
      const state = (await execInNode(container, "systemctl is-system-running")).stdout.trim();
      return { done: state === "running" || state === "degraded", value: state, observed: state };
    },
    { timeoutMs: BOOT_TIMEOUT_MS, intervalMs: 1000 },
  );
  return value;
}

/** `cloud-init clean --logs` and reboot: the node runs its whole user-data again. */
export async function rerunCloudInit(container: string): Promise<void> {
  await execInNodeOk(container, "cloud-init clean --logs");
  await powerCycle(container);
  await waitForNodeUp(container);
}
