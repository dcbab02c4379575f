/**
 * The frame every scenario shares: before its tests, a lab (run id, node image, a network with the
 * stack's MTU, SSH as the image's login user) and the cluster to boot on it; after them, the lab
 * closed and the phase timings printed, also when a test failed.
 */
import type { CachedImage } from "./cached-image";
import { Lab } from "./lab";
import { DEBIAN_12, NodeRelease } from "./releases";
import { ClusterSpec, SwarmCluster } from "./swarm-cluster";

/** Deadlines of the scenario hooks: opening may build the node image, closing removes it all. */
export const SCENARIO_OPEN_TIMEOUT_MS = 20 * 60_000;
export const SCENARIO_CLOSE_TIMEOUT_MS = 5 * 60_000;

export interface Scenario {
  lab: Lab;
  cluster: SwarmCluster;
}

/**
 * Opens the lab for `scenario` on 192.168.`subnetOctet`.0/24, with the cluster `spec` on it, its
 * servers booted from `release` (Debian 12 unless a scenario runs on several releases), from its
 * debootstrap image unless `image` makes another.
 */
export async function openScenario(
  scenario: string,
  subnetOctet: number,
  spec: ClusterSpec,
  release: NodeRelease = DEBIAN_12,
  image?: () => Promise<CachedImage>,
): Promise<Scenario> {
  const lab = await Lab.open(scenario, {
    subnetOctet,
    mtu: spec.settings.mtu,
    sshUser: spec.settings.sshUser,
    owner: spec.settings.owner,
    release,
    ...(image ? { image } : {}),
  });
  return { lab, cluster: new SwarmCluster(lab, spec) };
}

/** Closes the lab (idempotent; undefined when opening failed) and prints its timing report. */
export async function closeScenario(lab: Lab | undefined): Promise<void> {
  if (!lab) return;
  await lab.close();
  console.log(lab.timings.write());
}
