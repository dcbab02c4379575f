/**
 * The checks of `swarmlab:stacks` and `swarmlab:stackOverrides` that need stacks/: every chosen
 * stack is a folder there (else the valid names are listed), its compose file is valid (else the
 * file and each problem are named), and every override names a service and port the file has.
 * parseLabConfig runs them at preview, before any resource exists.
 */
import * as path from "path";
import { DOCKER_API_PORT, REGISTRY_PORT } from "../config/registry-address";
import type { StackChoice, StackProblem } from "../config/stacks-config";
import { availableStacks, stacksDir } from "./catalog";
import { loadStack, StackDefinition } from "./compose";
import { publishedPorts } from "./published-ports";

/** Ports the cluster itself listens on (on every node or on the managers): no stack may publish them. */
const RESERVED_PORTS: ReadonlyMap<number, string> = new Map([
  [22, "SSH"],
  [REGISTRY_PORT, "the lab registry"],
  [DOCKER_API_PORT, "the Docker API"],
  [2377, "swarm management"],
  [7946, "swarm gossip"],
  [4789, "overlay traffic (VXLAN)"],
]);

function overrideProblems(choice: StackChoice, stack: StackDefinition): StackProblem[] {
  const problems: StackProblem[] = [];
  const add = (reason: string) => problems.push({ key: "stackOverrides", reason });
  for (const [name, override] of Object.entries(choice.services)) {
    const where = `${choice.name}.${name}`;
    const service = stack.services.find((s) => s.name === name);
    if (!service) {
      add(
        `${where}: ${stack.file} has no service ${JSON.stringify(name)} (it has ${stack.services.map((s) => s.name).join(", ")})`,
      );
      continue;
    }
    if (override.replicas !== undefined && service.global) {
      add(
        `${where}.replicas: ${name} runs in global mode (one task per node); remove the override`,
      );
    }
    for (const target of Object.keys(override.ports ?? {})) {
      if (!service.ports.some((port) => String(port.target) === target)) {
        const known = service.ports.map((port) => port.target).join(", ") || "none";
        add(
          `${where}.ports.${target}: ${name} publishes no container port ${target} in ${stack.file} (its ports: ${known})`,
        );
      }
    }
  }
  return problems;
}

/** Problems of the chosen stacks, for parseLabConfig (StackChecks). */
export function stackProblems(choices: readonly StackChoice[], dir = stacksDir()): StackProblem[] {
  const available = availableStacks(dir);
  const problems: StackProblem[] = [];
  // By port and protocol: 53/udp and 53/tcp are two ports to the swarm.
  const publishers = new Map<string, string>();
  for (const choice of choices) {
    if (!available.includes(choice.name)) {
      problems.push({
        key: "stacks",
        reason: `names ${JSON.stringify(choice.name)}, which is not a stack of ${path.basename(dir)}/: choose from ${available.join(", ") || "(none: the folder holds no <name>/compose.yaml)"}`,
      });
      continue;
    }
    const loaded = loadStack(choice.name, dir);
    if (!loaded.ok) {
      for (const problem of loaded.problems) {
        problems.push({ key: "stacks", reason: `${choice.name}: ${loaded.file} ${problem}` });
      }
      continue;
    }
    problems.push(...overrideProblems(choice, loaded.stack));
    for (const port of publishedPorts(loaded.stack, choice.services)) {
      const key = `${port.published}/${port.protocol}`;
      const owner = publishers.get(key);
      const reserved = RESERVED_PORTS.get(port.published);
      if (reserved !== undefined) {
        problems.push({
          key: "stackOverrides",
          reason: `${choice.name}.${port.service} publishes port ${port.published}, which ${reserved} uses on the nodes; publish it elsewhere, e.g. {"${choice.name}": {"${port.service}": {"ports": {"${port.target}": ${port.published + 10000}}}}}`,
        });
      } else if (owner !== undefined) {
        problems.push({
          key: "stackOverrides",
          reason: `${owner} and ${choice.name}.${port.service} both publish port ${port.published}; give one another port, e.g. {"${choice.name}": {"${port.service}": {"ports": {"${port.target}": ${port.published + 100}}}}}`,
        });
      } else {
        publishers.set(key, `${choice.name}.${port.service}`);
      }
    }
  }
  return problems;
}
