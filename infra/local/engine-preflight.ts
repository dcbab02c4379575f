/**
 * The local cloud's pre-flight: before any resource is declared, the Docker engine @pulumi/docker
 * will use is asked what it already holds, so that an overlapping network, a taken port or a
 * missing engine fail the preview with the fix (principle 4) instead of the `up` half-way, as
 * existing-network.ts does for OpenStack. The decisions are engine-problems.ts's; this file only
 * reads the settings and the engine.
 */
import * as pulumi from "@pulumi/pulumi";
import { homedir } from "node:os";
import { LabConfig, toInputPropertiesError } from "../config/config";
import type { LocalForwardedPort } from "../config/local-ports";
import { NoEngine, readFirstEngine } from "./engine-api";
import { engineTarget } from "./engine-host";
import { engineProblems, noEngineProblem } from "./engine-problems";
import { labNetworkName } from "./lab-network";
import { OWNER_LABEL } from "./local-node";

/**
 * Throws every problem the engine shows at once; warns when it cannot read the engine.
 * `forwarded`: the chosen stacks' ports that get a forwarder on 127.0.0.1 (the caller knows the
 * stacks, which sit above this layer).
 */
export async function checkLocalEngine(
  config: LabConfig,
  forwarded: readonly LocalForwardedPort[],
): Promise<void> {
  // The provider's own config keys (`docker:host`, ...), as the stack sets them.
  const provider = new pulumi.Config("docker");
  const target = engineTarget({
    providerConfig: {
      host: provider.get("host"),
      certPath: provider.get("certPath"),
      caMaterial: provider.get("caMaterial"),
      certMaterial: provider.get("certMaterial"),
      keyMaterial: provider.get("keyMaterial"),
    },
    env: process.env,
    home: homedir(),
    platform: process.platform,
  });
  if (!target.readable) {
    await pulumi.log.warn(
      `swarmlab: the Docker engine checks did not run: the engine at ${target.address} cannot ` +
        `be read by the pre-flight (${target.why}). An overlapping swarmlab:cidr or a taken ` +
        "127.0.0.1 port (swarmlab:localPortOffset) will show only when `pulumi up` creates them",
    );
    return;
  }
  const facts = await readFirstEngine(target.endpoints).catch((error: unknown) => {
    if (error instanceof NoEngine) throw toInputPropertiesError([noEngineProblem(error.failures)]);
    throw error;
  });
  const problems = engineProblems(facts, {
    own: { name: labNetworkName(config.owner), label: OWNER_LABEL, value: config.owner },
    cidr: config.cidr,
    managers: config.managers,
    workers: config.workers,
    localPortOffset: config.localPortOffset,
    forwarded,
  });
  if (problems.length > 0) throw toInputPropertiesError(problems);
}
