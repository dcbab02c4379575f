/**
 * A stack's compose file: read and checked (YAML, the compose spec's schema, swarmlab's own rules)
 * by `loadStack`, then resolved by `renderCompose` into the text `docker stack deploy` gets on the
 * cluster. Compose files name what differs per cluster through three variables only swarmlab
 * resolves, so one file works on every student's cluster:
 *   ${SWARMLAB_REGISTRY}     the cluster's registry (host:port)
 *   ${SWARMLAB_CONTEXT_TAG}  in a service with `build`: the hash of its build context
 *   ${SWARMLAB_OVERLAY_MTU}  the overlay MTU (network MTU - 50), for `driver_opts`
 */
import * as fs from "fs";
import * as path from "path";
import { isMap, isScalar, parseDocument, stringify } from "yaml";
import type { ServiceOverride } from "../config/stacks-config";
import { composeFileLabel, contextDir, readComposeFile, stacksDir } from "./catalog";
import { schemaProblems } from "./compose-schema";

export const REGISTRY_VARIABLE = "SWARMLAB_REGISTRY";
export const CONTEXT_TAG_VARIABLE = "SWARMLAB_CONTEXT_TAG";
export const OVERLAY_MTU_VARIABLE = "SWARMLAB_OVERLAY_MTU";
const VARIABLES = [REGISTRY_VARIABLE, CONTEXT_TAG_VARIABLE, OVERLAY_MTU_VARIABLE];

/** `$$` is compose's escaped dollar; anything else after `$` is a variable. */
const VARIABLE = /\$\$|\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

export interface PortSpec {
  target: number;
  published?: number;
  mode?: string;
}

export interface StackService {
  name: string;
  /** The build context, relative to the stack's folder, when the stack builds this image. */
  build?: { context: string; dockerfile: string };
  global: boolean;
  /** Long-syntax ports (the only kind overrides can change). */
  ports: PortSpec[];
}

export interface StackDefinition {
  name: string;
  /** "stacks/counter/compose.yaml", for messages. */
  file: string;
  /** The file as parsed, variables not resolved. */
  document: Record<string, unknown>;
  services: StackService[];
}

export type LoadResult =
  { ok: true; stack: StackDefinition } | { ok: false; file: string; problems: string[] };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Calls `visit` on every string of `node` (keys excluded) and rebuilds it with the results. */
function mapStrings(node: unknown, visit: (text: string) => string): unknown {
  if (typeof node === "string") return visit(node);
  if (Array.isArray(node)) return node.map((item) => mapStrings(item, visit));
  if (isObject(node)) {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, mapStrings(v, visit)]));
  }
  return node;
}

/** Replaces swarmlab's variables in `text`; `$$` stays (docker stack deploy unescapes it). */
function resolve(text: string, values: Record<string, string>): string {
  return text.replace(VARIABLE, (whole, braced?: string, bare?: string) => {
    const name = braced ?? bare;
    return name !== undefined && name in values ? values[name] : whole;
  });
}

function variablesIn(node: unknown): Set<string> {
  const found = new Set<string>();
  mapStrings(node, (text) => {
    for (const match of text.matchAll(VARIABLE)) {
      const name = match[1] ?? match[2];
      if (name !== undefined) found.add(name);
    }
    return text;
  });
  return found;
}

function buildOf(value: unknown): { context: string; dockerfile: string } | undefined {
  if (typeof value === "string") return { context: value, dockerfile: "Dockerfile" };
  if (isObject(value) && typeof value.context === "string") {
    const dockerfile = typeof value.dockerfile === "string" ? value.dockerfile : "Dockerfile";
    return { context: value.context, dockerfile };
  }
  return undefined;
}

function portsOf(value: unknown): PortSpec[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).map((port) => ({
    target: Number(port.target),
    ...(port.published !== undefined ? { published: Number(port.published) } : {}),
    ...(typeof port.mode === "string" ? { mode: port.mode } : {}),
  }));
}

/** swarmlab's rules for one service beyond the schema; returns the problems. */
function serviceProblems(
  stack: string,
  name: string,
  service: Record<string, unknown>,
  dir: string,
): string[] {
  const problems: string[] = [];
  const where = `services.${name}`;
  const build = buildOf(service.build);
  if (service.image === undefined && service.build === undefined) {
    problems.push(
      `${where} has neither image nor build: name an image, or a build context with a Dockerfile`,
    );
  }
  const used = variablesIn(service);
  if (build === undefined) {
    if (used.has(CONTEXT_TAG_VARIABLE)) {
      problems.push(`${where} uses \${${CONTEXT_TAG_VARIABLE}} but has no build context to hash`);
    }
    return problems;
  }
  const image = typeof service.image === "string" ? service.image : "";
  if (
    !image.includes(`\${${REGISTRY_VARIABLE}}`) ||
    !image.includes(`\${${CONTEXT_TAG_VARIABLE}}`)
  ) {
    problems.push(
      `${where} builds its image, so its image must be pushed to the cluster's registry: ` +
        `write image: \${${REGISTRY_VARIABLE}}/${stack}-${name}:\${${CONTEXT_TAG_VARIABLE}}`,
    );
  }
  const stackRoot = path.resolve(dir, stack);
  const context = contextDir(stack, build.context, dir);
  if (context !== stackRoot && !context.startsWith(`${stackRoot}${path.sep}`)) {
    problems.push(
      `${where}.build: context ${JSON.stringify(build.context)} is outside the stack's folder`,
    );
  } else if (!fs.existsSync(path.join(context, build.dockerfile))) {
    problems.push(
      `${where}.build: ${build.dockerfile} not found in context ${JSON.stringify(build.context)} ` +
        `(${path.relative(path.dirname(dir), context)})`,
    );
  }
  return problems;
}

/** Values that stand in for swarmlab's variables while the schema checks a file. */
const PLACEHOLDERS: Record<string, string> = {
  [REGISTRY_VARIABLE]: "registry.invalid:5000",
  [CONTEXT_TAG_VARIABLE]: "ctx-0000000000000000",
  [OVERLAY_MTU_VARIABLE]: "1400",
};

/**
 * Reads stacks/<name>/compose.yaml and checks it: YAML syntax, the compose spec's schema (unknown
 * keys, wrong types), and swarmlab's rules (every service has an image or a build context whose
 * Dockerfile exists, built images go to the registry, only swarmlab's variables are used).
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
  const parsed = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (parsed.errors.length > 0) {
    return fail(parsed.errors.map((e) => `is not valid YAML: ${e.message.split("\n")[0]}`));
  }
  if (!isMap(parsed.contents) && !(isScalar(parsed.contents) && parsed.contents.value === null)) {
    return fail(["is not a YAML mapping of compose keys (services, networks, volumes, ...)"]);
  }
  const document = (parsed.toJS() ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const unknown = [...variablesIn(document)].filter((v) => !VARIABLES.includes(v)).sort();
  for (const variable of unknown) {
    problems.push(
      `uses \${${variable}}, which nothing sets on the cluster; swarmlab resolves only ${VARIABLES.map((v) => `\${${v}}`).join(", ")}`,
    );
  }
  problems.push(...schemaProblems(mapStrings(document, (t) => resolve(t, PLACEHOLDERS))));
  const services = isObject(document.services) ? document.services : {};
  if (Object.keys(services).length === 0) problems.push("defines no services");
  const list: StackService[] = [];
  for (const [service, definition] of Object.entries(services)) {
    if (!isObject(definition)) continue; // the schema said why
    problems.push(...serviceProblems(name, service, definition, dir));
    const deploy = isObject(definition.deploy) ? definition.deploy : {};
    const build = buildOf(definition.build);
    list.push({
      name: service,
      ...(build ? { build } : {}),
      global: deploy.mode === "global",
      ports: portsOf(definition.ports),
    });
  }
  if (problems.length > 0) return fail(problems);
  return { ok: true, stack: { name, file, document, services: list } };
}

/** What the cluster gives a stack's variables. */
export interface ClusterValues {
  /** The registry's address, host:port. */
  registry: string;
  overlayMtu: number;
  /** The image tag of each service that builds its image (contextTag of its context). */
  contextTags: Readonly<Record<string, string>>;
}

function applyOverride(service: Record<string, unknown>, override: ServiceOverride): void {
  if (override.replicas !== undefined) {
    service.deploy = {
      ...(isObject(service.deploy) ? service.deploy : {}),
      replicas: override.replicas,
    };
  }
  for (const [target, port] of Object.entries(override.ports ?? {})) {
    if (!Array.isArray(service.ports)) continue; // validate-stacks.ts refuses such overrides
    service.ports = service.ports.map((entry: unknown) =>
      isObject(entry) && String(entry.target) === target
        ? { ...entry, published: port.published, ...(port.mode ? { mode: port.mode } : {}) }
        : entry,
    );
  }
}

/**
 * The compose text deployed for `stack` on a cluster: swarmlab's variables resolved, `build`
 * dropped (the image is built and pushed before the deploy), `overrides` applied. Deterministic,
 * so an unchanged stack gives the same text and Pulumi sees no change.
 */
export function renderCompose(
  stack: StackDefinition,
  values: ClusterValues,
  overrides: Readonly<Record<string, ServiceOverride>> = {},
): string {
  const services = isObject(stack.document.services) ? stack.document.services : {};
  const rendered: Record<string, unknown> = {};
  for (const [name, definition] of Object.entries(services)) {
    const tag = values.contextTags[name];
    const built = buildOf((definition as Record<string, unknown>).build) !== undefined;
    if (built && tag === undefined)
      throw new Error(`no image tag for ${stack.file} service ${name}`);
    const resolved = mapStrings(definition, (text) =>
      resolve(text, {
        [REGISTRY_VARIABLE]: values.registry,
        [OVERLAY_MTU_VARIABLE]: String(values.overlayMtu),
        ...(built ? { [CONTEXT_TAG_VARIABLE]: tag } : {}),
      }),
    ) as Record<string, unknown>;
    delete resolved.build;
    applyOverride(resolved, overrides[name] ?? {});
    rendered[name] = resolved;
  }
  const document = mapStrings({ ...stack.document, services: rendered }, (text) =>
    resolve(text, { [OVERLAY_MTU_VARIABLE]: String(values.overlayMtu) }),
  );
  return `# ${stack.file}, resolved by swarmlab for this cluster\n${stringify(document, { lineWidth: 0 })}`;
}
