/**
 * The checks of `swarmlab:stacks` and `swarmlab:stackOverrides` that need the stack folders
 * (stacks/ and swarmlab:stacksDir): every chosen stack is a folder of exactly one of them (else
 * the valid names, or both places, are listed), its compose file is valid (else the file and each
 * problem are named), every override names a service and port the file has, and every external
 * secret, network and node label it needs is declared in swarmlab:stackExternals. parseLabConfig
 * runs them at preview, before any resource exists; so do the offline commands (render, class
 * init, the roster and quota checks), through labStackChecks.
 */
import * as fs from "fs";
import { DOCKER_API_PORT, REGISTRY_PORT } from "../config/registry-address";
import { EXTERNALS_SHAPE, NO_EXTERNALS, StackExternals } from "../config/stack-externals";
import { MAX_PORT } from "../config/local-ports";
import type { StackChecks, StackChoice, StackContext, StackProblem } from "../config/stacks-config";
import { folderLabel, stackFolders, stackLocations } from "./catalog";
import { loadStack, StackDefinition } from "./compose";
import { isForwarded } from "./local-port-forwarder";
import { PublishedPort, publishedPorts } from "./published-ports";

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

/** A chosen stack's externals that swarmlab:stackExternals does not declare. */
function externalProblems(
  choice: StackChoice,
  stack: StackDefinition,
  externals: StackExternals,
): StackProblem[] {
  const problems: StackProblem[] = [];
  const declaredLabels = new Set(
    Object.values(externals.nodeLabels).flatMap((labels) => Object.keys(labels)),
  );
  const missing = (kind: string, name: string, where: string, example: string) =>
    problems.push({
      key: "stackExternals",
      reason:
        `${choice.name}: ${stack.file} ${where} needs the external ${kind} ${JSON.stringify(name)}, ` +
        `which swarmlab:stackExternals does not declare; add ${example} (the key's shape: ${EXTERNALS_SHAPE})`,
    });
  for (const [name, where] of stack.externals.secrets) {
    if (externals.secrets[name] === undefined) {
      missing("secret", name, where, `{"secrets": {"${name}": {"generate": true}}}`);
    }
  }
  for (const [name, where] of stack.externals.networks) {
    if (externals.networks[name] === undefined) {
      missing("network", name, where, `{"networks": {"${name}": {}}}`);
    }
  }
  for (const [label, where] of stack.externals.nodeLabels) {
    if (!declaredLabels.has(label)) {
      missing("node label", label, where, `{"nodeLabels": {"worker-0": {"${label}": "true"}}}`);
    }
  }
  return problems;
}

/**
 * Problems of the chosen stacks, for parseLabConfig (StackChecks): `folders` are searched in
 * order (stackFolders: stacks/, then swarmlab:stacksDir).
 */
/**
 * The local cloud forwards a stack's port to 127.0.0.1 at published + the offset
 * (local-port-forwarder.ts): that port must exist and not be one the local cloud publishes itself.
 */
function localForwardProblems(
  choice: StackChoice,
  port: PublishedPort,
  local: NonNullable<StackContext["local"]>,
): StackProblem[] {
  if (!isForwarded(port)) return [];
  const hostPort = port.published + local.offset;
  const where = `${choice.name}.${port.service} publishes port ${port.published}`;
  const example = (published: number) =>
    `{"${choice.name}": {"${port.service}": {"ports": {"${port.target}": ${published}}}}}`;
  if (hostPort > MAX_PORT) {
    return [
      {
        key: "stackOverrides",
        reason: `${where}, which the local cloud forwards to 127.0.0.1:${hostPort} (swarmlab:localPortOffset ${local.offset} added), past ${MAX_PORT}; publish it lower, e.g. ${example(MAX_PORT - local.offset)}, or use a smaller offset`,
      },
    ];
  }
  const taken = local.hostPorts.find((own) => own.hostPort === hostPort);
  if (taken === undefined) return [];
  return [
    {
      key: "stackOverrides",
      reason: `${where}, which the local cloud forwards to 127.0.0.1:${hostPort}, where it publishes ${taken.what}; publish it elsewhere, e.g. ${example(port.published + 10000)}`,
    },
  ];
}

export function stackProblems(
  choices: readonly StackChoice[],
  folders: readonly string[] = stackFolders(),
  externals: StackExternals = NO_EXTERNALS,
  local?: StackContext["local"],
): StackProblem[] {
  const problems: StackProblem[] = [];
  for (const folder of folders.slice(1)) {
    if (!fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
      problems.push({
        key: "stacksDir",
        reason: `names ${folderLabel(folder)}, which is not a folder; give a folder of stacks (<name>/compose.yaml) relative to the project root`,
      });
    }
  }
  const { found, clashes } = stackLocations(folders);
  const available = [...found.keys(), ...clashes.map((c) => c.name)].sort();
  // By port and protocol: 53/udp and 53/tcp are two ports to the swarm.
  const publishers = new Map<string, string>();
  for (const choice of choices) {
    const clash = clashes.find((c) => c.name === choice.name);
    if (clash !== undefined) {
      problems.push({
        key: "stacksDir",
        reason: `stack ${JSON.stringify(choice.name)} is in ${clash.folders.map(folderLabel).join(" and ")}; rename one of the folders (a stack name must be found in one place only)`,
      });
      continue;
    }
    const dir = found.get(choice.name);
    if (dir === undefined) {
      problems.push({
        key: "stacks",
        reason: `names ${JSON.stringify(choice.name)}, which is not a stack of ${folders.map((f) => `${folderLabel(f)}/`).join(" or ")}: choose from ${available.join(", ") || "(none: no folder holds a <name>/compose.yaml)"}`,
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
    problems.push(...externalProblems(choice, loaded.stack, externals));
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
        if (local) problems.push(...localForwardProblems(choice, port, local));
      }
    }
  }
  return problems;
}

/**
 * The one stack check of the program and the offline commands alike: what preview refuses,
 * `npm run render`, `class init` and the roster check refuse with the same words.
 */
export const labStackChecks: StackChecks = (choices, context) =>
  stackProblems(choices, stackFolders(context.stacksDirs), context.externals, context.local);
