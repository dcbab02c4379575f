/**
 * The node settings of a test stack, made the way the Pulumi program makes them: raw `swarmlab:`
 * config -> parseLabConfig -> nodeSettings, with the lab network's MTU as the tenant network's.
 * So the system test boots nodes from a stack config, not from hand-written settings.
 */
import { nodeSettings } from "../../../infra/node-settings";
import type { NodeSettings } from "../../../infra/settings";
import { parseLabConfig, RawConfig } from "../../../infra/validate";

/**
 * What every test stack shares: a Debian cloud image (login user "debian") and Docker from the
 * distribution, since the lab reaches no package source but Debian's mirror.
 */
const TEST_STACK_BASE: RawConfig = {
  image: "Debian 12",
  sshUser: "debian",
  dockerSource: "distro",
  allowedCidrs: '["192.168.0.0/16"]',
};

export function testStackSettings(
  owner: string,
  networkMtu: number,
  config: RawConfig = {},
): NodeSettings {
  const parsed = parseLabConfig({ ...TEST_STACK_BASE, owner, ...config }, owner);
  if (!parsed.ok) {
    const problems = parsed.problems.map((p) => `swarmlab:${p.key}: ${p.reason}`).join("; ");
    throw new Error(`test stack ${owner} has a bad config: ${problems}`);
  }
  return nodeSettings(parsed.config, networkMtu);
}
