/**
 * `swarmlab:stacks` (which application stacks of stacks/ to deploy) and `swarmlab:stackOverrides`
 * (per stack and service: replicas, published ports), checked for their shape here. Whether a
 * named stack exists and its compose file is valid is checked by infra/stacks/ (a later step of
 * the flow), which parseLabConfig calls through `StackChecks` so every problem is listed at once.
 */
import type { LocalHostPort } from "./local-ports";
import type { StackExternals } from "./stack-externals";

/** A published port of a service, as the override sets it. */
export interface PortOverride {
  published: number;
  /** `ingress` (the routing mesh, Docker's default) or `host` (only the node running the task). */
  mode?: "ingress" | "host";
}

export interface ServiceOverride {
  replicas?: number;
  /** By the port the container listens on (`target`), as text: `{"5000": {"published": 8000}}`. */
  ports?: Readonly<Record<string, PortOverride>>;
}

/** One chosen stack and what its config changes in the compose file. */
export interface StackChoice {
  name: string;
  services: Readonly<Record<string, ServiceOverride>>;
}

export const DEFAULT_STACKS = ["hostname"] as const;
export const STACK_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,29}$/;
export const MAX_REPLICAS = 100;

type Key = "stacks" | "stackOverrides" | "stacksDir" | "stackExternals";
export type StackProblem = { key: Key; reason: string };

/** What the deeper checks need of the config besides the choices. */
export interface StackContext {
  /** `swarmlab:stacksDir`: folders of stacks beside stacks/, as written (relative to the project). */
  stacksDirs: readonly string[];
  externals: StackExternals;
  /**
   * The local cloud only: the ports it publishes on 127.0.0.1 itself (local-ports.ts) and
   * swarmlab:localPortOffset, which the stacks' forwarded ports get too.
   */
  local?: { offset: number; hostPorts: readonly LocalHostPort[] };
}

/** The deeper checks of infra/stacks/ (folders, compose files), injected to keep imports one-way. */
export type StackChecks = (
  choices: readonly StackChoice[],
  context: StackContext,
) => StackProblem[];

/**
 * `swarmlab:stacksDir`: one folder (a string) or a list of folders. pulumi.Config.get gives a
 * YAML list as its JSON text and a string as itself.
 */
export function parseStacksDir(text: string | undefined): {
  dirs: string[];
  problems: StackProblem[];
} {
  if (text === undefined || text.trim() === "") return { dirs: [], problems: [] };
  let value: unknown = text;
  if (text.trim().startsWith("[")) {
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
  }
  const list = typeof value === "string" ? [value] : value;
  if (
    !Array.isArray(list) ||
    !list.every((item) => typeof item === "string" && item.trim() !== "")
  ) {
    return {
      dirs: [],
      problems: [
        {
          key: "stacksDir",
          reason: `is ${JSON.stringify(text)}: name a folder of stacks relative to the project root ("course/stacks") or a list of them`,
        },
      ],
    };
  }
  return { dirs: [...new Set(list as string[])], problems: [] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;
}

function readNames(text: string | undefined, problems: StackProblem[]): string[] {
  if (text === undefined) return [...DEFAULT_STACKS];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    problems.push({
      key: "stacks",
      reason:
        `is ${JSON.stringify(text)}: it must be a list of stack names, e.g. ` +
        "`pulumi config set --path 'swarmlab:stacks[0]' hostname`, then " +
        "`pulumi config set --path 'swarmlab:stacks[1]' counter`",
    });
    return [];
  }
  const names = value as string[];
  names.forEach((name, index) => {
    if (!STACK_NAME_PATTERN.test(name)) {
      problems.push({
        key: "stacks",
        reason: `[${index}] is ${JSON.stringify(name)}: a stack name is a folder of stacks/ (a-z, 0-9, _ and -)`,
      });
    } else if (names.indexOf(name) !== index) {
      problems.push({ key: "stacks", reason: `names ${JSON.stringify(name)} twice` });
    }
  });
  return names.filter((name, index) => names.indexOf(name) === index);
}

function readPorts(
  where: string,
  value: unknown,
  problems: StackProblem[],
): Record<string, PortOverride> {
  const ports: Record<string, PortOverride> = {};
  if (!isObject(value)) {
    problems.push({
      key: "stackOverrides",
      reason: `${where}.ports must be an object from container port to published port, e.g. {"5000": 8000}`,
    });
    return ports;
  }
  for (const [target, setting] of Object.entries(value)) {
    const at = `${where}.ports.${target}`;
    if (!isPort(Number(target)) || String(Number(target)) !== target) {
      problems.push({ key: "stackOverrides", reason: `${at}: "${target}" is not a port number` });
      continue;
    }
    const port = isObject(setting) ? setting : { published: setting };
    const extra = Object.keys(port).filter((key) => key !== "published" && key !== "mode");
    if (!isPort(port.published)) {
      problems.push({
        key: "stackOverrides",
        reason: `${at}: published must be a port number (1-65535), got ${JSON.stringify(port.published)}`,
      });
    } else if (port.mode !== undefined && port.mode !== "ingress" && port.mode !== "host") {
      problems.push({
        key: "stackOverrides",
        reason: `${at}: mode must be "ingress" or "host", got ${JSON.stringify(port.mode)}`,
      });
    } else if (extra.length > 0) {
      problems.push({
        key: "stackOverrides",
        reason: `${at}: unknown setting ${extra.join(", ")} (published and mode are known)`,
      });
    } else {
      ports[target] = {
        published: port.published,
        ...(port.mode !== undefined ? { mode: port.mode } : {}),
      };
    }
  }
  return ports;
}

function readService(
  where: string,
  value: unknown,
  problems: StackProblem[],
): ServiceOverride | undefined {
  if (!isObject(value)) {
    problems.push({ key: "stackOverrides", reason: `${where} must be an object` });
    return undefined;
  }
  const override: ServiceOverride = {};
  for (const [key, setting] of Object.entries(value)) {
    if (key === "replicas") {
      if (
        !Number.isInteger(setting) ||
        (setting as number) < 0 ||
        (setting as number) > MAX_REPLICAS
      ) {
        problems.push({
          key: "stackOverrides",
          reason: `${where}.replicas is ${JSON.stringify(setting)}: set a whole number from 0 to ${MAX_REPLICAS}`,
        });
      } else {
        override.replicas = setting as number;
      }
    } else if (key === "ports") {
      override.ports = readPorts(where, setting, problems);
    } else {
      problems.push({
        key: "stackOverrides",
        reason: `${where}.${key} is not an override swarmlab knows (replicas, ports)`,
      });
    }
  }
  return override;
}

/**
 * The chosen stacks with their overrides, or problems. `overridesText` is a JSON object
 * `{stack: {service: {replicas, ports}}}`; a stack it names must be one of the chosen stacks.
 */
export function parseStackChoices(
  namesText: string | undefined,
  overridesText: string | undefined,
): { choices: StackChoice[]; problems: StackProblem[] } {
  const problems: StackProblem[] = [];
  const names = readNames(namesText, problems);
  const services = new Map<string, Record<string, ServiceOverride>>();
  if (overridesText !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(overridesText);
    } catch {
      value = undefined;
    }
    if (!isObject(value)) {
      problems.push({
        key: "stackOverrides",
        reason: `is ${JSON.stringify(overridesText)}: it must be an object {stack: {service: {replicas, ports}}}`,
      });
    } else {
      for (const [stack, byService] of Object.entries(value)) {
        if (!names.includes(stack)) {
          problems.push({
            key: "stackOverrides",
            reason: `names stack ${JSON.stringify(stack)}, which is not in swarmlab:stacks (${names.join(", ") || "none"}); add it there or remove its overrides`,
          });
          continue;
        }
        if (!isObject(byService)) {
          problems.push({
            key: "stackOverrides",
            reason: `${stack} must be an object of services`,
          });
          continue;
        }
        const parsed: Record<string, ServiceOverride> = {};
        for (const [service, setting] of Object.entries(byService)) {
          const override = readService(`${stack}.${service}`, setting, problems);
          if (override) parsed[service] = override;
        }
        services.set(stack, parsed);
      }
    }
  }
  return {
    choices: names.map((name) => ({ name, services: services.get(name) ?? {} })),
    problems,
  };
}
