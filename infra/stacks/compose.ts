/**
 * A stack's compose file, read and checked as `docker stack deploy` (docker CLI 28) reads it:
 * YAML by docker's parser's rules (compose-yaml.ts: merge keys, 1.1 octals), variables by its
 * interpolation (interpolate.ts: defaults, `$$`), then its own schema (compose-schema.ts), then
 * what swarmlab needs beyond docker (every file it names exists, no relative bind mount, a build
 * context inside the stack's folder). render-compose.ts makes the text sent to the cluster.
 *
 * swarmlab sets three variables, so one file works on every student's cluster; a file needs none:
 *   ${SWARMLAB_REGISTRY}     the cluster's registry (host:port)
 *   ${SWARMLAB_CONTEXT_TAG}  in a service with `build`: the hash of its build context
 *   ${SWARMLAB_OVERLAY_MTU}  the value for com.docker.network.driver.mtu: the network's MTU,
 *                            which Docker's overlay driver lowers by VXLAN's 50 bytes for the
 *                            tasks (settings.ts overlayMtu); swarmlab sets it on every overlay
 *                            network that sets no MTU of its own anyway
 * Any other variable must have a default (`${TAG:-1.27}`): nothing sets it on the cluster.
 */
import * as fs from "fs";
import * as path from "path";
import {
  composeFileLabel,
  contextDir,
  readComposeFile,
  readContextFiles,
  stacksDir,
} from "./catalog";
import { parseComposeYaml } from "./compose-yaml";
import { schemaProblems } from "./compose-schema";
import { interpolate, Lookup, variablesOf } from "./interpolate";
import { PortSpec, portsOf } from "./ports";
import { externalsOf, StackExternalNeeds } from "./externals-of";
import { fileReferences, readReferencedFiles } from "./stack-files";

export type { PortSpec } from "./ports";

export const REGISTRY_VARIABLE = "SWARMLAB_REGISTRY";
export const CONTEXT_TAG_VARIABLE = "SWARMLAB_CONTEXT_TAG";
export const OVERLAY_MTU_VARIABLE = "SWARMLAB_OVERLAY_MTU";
export const VARIABLES = [REGISTRY_VARIABLE, CONTEXT_TAG_VARIABLE, OVERLAY_MTU_VARIABLE];

/** How docker builds a service's image: what `build:` says, with docker's defaults. */
export interface BuildSpec {
  /** Relative to the stack's folder. */
  context: string;
  dockerfile: string;
  target?: string;
  args: Record<string, string>;
}

export interface StackService {
  name: string;
  /** The build, when the stack builds this image. */
  build?: BuildSpec;
  global: boolean;
  /** Every published or exposed port, short and long syntax alike. */
  ports: PortSpec[];
}

export interface StackDefinition {
  name: string;
  /** "stacks/counter/compose.yaml", for messages. */
  file: string;
  /** The stack's folder, absolute. */
  dir: string;
  /** The file as parsed (merge keys applied), variables not substituted. */
  document: Record<string, unknown>;
  services: StackService[];
  /** The files it names (secrets, configs, env files), by the path it names them with. */
  files: ReadonlyMap<string, Buffer>;
  /** External secrets and networks, and node labels its constraints need. */
  externals: StackExternalNeeds;
}

export type LoadResult =
  { ok: true; stack: StackDefinition } | { ok: false; file: string; problems: string[] };

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Values that stand in for swarmlab's variables while a file is checked. */
const PLACEHOLDERS: Record<string, string> = {
  [REGISTRY_VARIABLE]: "registry.invalid:5000",
  [CONTEXT_TAG_VARIABLE]: "ctx-0000000000000000",
  [OVERLAY_MTU_VARIABLE]: "1450",
};

/** swarmlab's values only: the cluster sets nothing else a compose file could read. */
export function swarmlabLookup(values: Readonly<Record<string, string>>): Lookup {
  return (name) => (Object.prototype.hasOwnProperty.call(values, name) ? values[name] : undefined);
}

function strings(node: unknown, out: string[] = []): string[] {
  if (typeof node === "string") out.push(node);
  else if (Array.isArray(node)) node.forEach((item) => strings(item, out));
  else if (isObject(node)) Object.values(node).forEach((value) => strings(value, out));
  return out;
}

function argsOf(value: unknown): Record<string, string> {
  if (Array.isArray(value)) {
    return Object.fromEntries(
      value.map((item) => {
        const [key, ...rest] = String(item).split("=");
        return [key, rest.join("=")];
      }),
    );
  }
  if (!isObject(value)) return {};
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, v === null ? "" : String(v)]),
  );
}

export function buildOf(value: unknown): BuildSpec | undefined {
  if (typeof value === "string") return { context: value, dockerfile: "Dockerfile", args: {} };
  if (!isObject(value)) return undefined;
  const context = typeof value.context === "string" ? value.context : ".";
  return {
    context,
    dockerfile: typeof value.dockerfile === "string" ? value.dockerfile : "Dockerfile",
    ...(typeof value.target === "string" ? { target: value.target } : {}),
    args: argsOf(value.args),
  };
}

/** A bind mount's host path relative to the compose file: it cannot exist on every node. */
function relativeBinds(service: Record<string, unknown>): string[] {
  if (!Array.isArray(service.volumes)) return [];
  return service.volumes.flatMap((volume: unknown) => {
    const source =
      typeof volume === "string"
        ? volume.split(":")[0]
        : isObject(volume) && volume.type === "bind" && typeof volume.source === "string"
          ? volume.source
          : "";
    return source.startsWith(".") || source.startsWith("~") ? [source] : [];
  });
}

/** swarmlab's rules for one service beyond docker's; returns the problems. */
function serviceProblems(
  stackRoot: string,
  name: string,
  service: Record<string, unknown>,
  usesContextTag: boolean,
): string[] {
  const problems: string[] = [];
  const where = `services.${name}`;
  const build = buildOf(service.build);
  if (service.image === undefined && service.build === undefined) {
    problems.push(
      `${where} has neither image nor build: name an image, or a build context with a Dockerfile`,
    );
  }
  for (const source of relativeBinds(service)) {
    problems.push(
      `${where}.volumes: ${source} is a bind mount of a folder beside the compose file, which exists on no node of a swarm (a task runs on any of them); put the files in a config or secret, or use a named volume`,
    );
  }
  if (build === undefined) {
    if (usesContextTag) {
      problems.push(`${where} uses \${${CONTEXT_TAG_VARIABLE}} but has no build context to hash`);
    }
    return problems;
  }
  const context = path.resolve(stackRoot, build.context);
  if (context !== stackRoot && !context.startsWith(`${stackRoot}${path.sep}`)) {
    problems.push(
      `${where}.build: context ${JSON.stringify(build.context)} is outside the stack's folder`,
    );
  } else if (!fs.existsSync(path.join(context, build.dockerfile))) {
    problems.push(
      `${where}.build: ${build.dockerfile} not found in context ${JSON.stringify(build.context)} ` +
        `(${path.relative(path.dirname(path.dirname(stackRoot)), context)})`,
    );
  } else {
    try {
      readContextFiles(context, build.dockerfile);
    } catch (error) {
      problems.push(`${where}.build: ${(error as Error).message}`);
    }
  }
  return problems;
}

function variableProblems(document: Record<string, unknown>): string[] {
  const missing = new Set<string>();
  for (const text of strings(document)) {
    for (const use of variablesOf(text)) {
      if (!use.hasDefault && !VARIABLES.includes(use.name)) missing.add(use.name);
    }
  }
  return [...missing]
    .sort()
    .map(
      (variable) =>
        `uses \${${variable}}, which nothing sets on the cluster; give it a default (\${${variable}:-value}) or use one of swarmlab's ${VARIABLES.map((v) => `\${${v}}`).join(", ")}`,
    );
}

/**
 * Reads <dir>/<name>/compose.yaml and checks it as docker would, and for what swarmlab needs:
 * every problem at once, each naming the key and the fix.
 */
export function loadStack(name: string, dir = stacksDir()): LoadResult {
  const file = composeFileLabel(name, dir);
  const fail = (problems: string[]): LoadResult => ({ ok: false, file, problems });
  let text: string;
  try {
    text = readComposeFile(name, dir);
  } catch (error) {
    return fail([`cannot be read: ${(error as Error).message}`]);
  }
  const parsed = parseComposeYaml(text);
  if (parsed.errors.length > 0) return fail(parsed.errors.map((e) => `is not valid YAML: ${e}`));
  const raw: unknown = parsed.document.toJS();
  if (raw !== null && raw !== undefined && !isObject(raw)) {
    return fail(["is not a YAML mapping of compose keys (services, networks, volumes, ...)"]);
  }
  const document = (raw ?? {}) as Record<string, unknown>;
  const problems = variableProblems(document);
  const interpolated = interpolate(document, swarmlabLookup(PLACEHOLDERS), problems) as Record<
    string,
    unknown
  >;
  problems.push(...schemaProblems(interpolated));
  const stackRoot = contextDir(name, ".", dir);
  const services = isObject(interpolated.services) ? interpolated.services : {};
  const rawServices = isObject(document.services) ? document.services : {};
  if (Object.keys(services).length === 0) problems.push("defines no services");
  const list: StackService[] = [];
  for (const [service, definition] of Object.entries(services)) {
    if (!isObject(definition)) continue; // the schema said why
    const usesTag = strings(rawServices[service]).some((t) =>
      variablesOf(t).some((use) => use.name === CONTEXT_TAG_VARIABLE),
    );
    problems.push(...serviceProblems(stackRoot, service, definition, usesTag));
    let ports: PortSpec[] = [];
    try {
      ports = portsOf(definition.ports, `services.${service}.ports`);
    } catch (error) {
      problems.push((error as Error).message);
    }
    const deploy = isObject(definition.deploy) ? definition.deploy : {};
    const build = buildOf(definition.build);
    list.push({
      name: service,
      ...(build ? { build } : {}),
      global: deploy.mode === "global",
      ports,
    });
  }
  const { files, problems: fileProblems } = readReferencedFiles(
    fileReferences(interpolated),
    stackRoot,
  );
  problems.push(...fileProblems);
  if (problems.length > 0) return fail([...new Set(problems)]);
  const externals = externalsOf(interpolated);
  return {
    ok: true,
    stack: { name, file, dir: stackRoot, document, services: list, files, externals },
  };
}
