/**
 * The compose text deployed for a stack on a cluster, from its checked file (compose.ts). What
 * swarmlab changes, and only this:
 *   - variables substituted with swarmlab's values and the file's defaults; every `$` left is
 *     written `$$`, so docker's own interpolation on the manager gives back the same strings;
 *   - a service with `build:` runs the image built on the cluster, in the cluster's registry
 *     (builtImageName), and loses `build:` (docker stack deploy ignores it anyway);
 *   - ports in long syntax (as docker converts them), with swarmlab:stackOverrides applied;
 *   - every overlay network that sets no MTU, the implicit `default` one included, gets the
 *     overlay MTU as com.docker.network.driver.mtu (the network's MTU; the driver takes VXLAN's
 *     50 off it for the tasks, settings.ts overlayMtu): without it a task's interface is 1450,
 *     its packets 1500 in the tunnel, too big for a 1450-byte cloud network, and large ones lost;
 *   - files the stack names point at their shipped copies; secrets and configs made from files get
 *     names carrying their content's hash (stack-files.ts says why).
 * Deterministic: an unchanged stack gives the same text, so Pulumi sees no change.
 */
import type { ServiceOverride } from "../config/stacks-config";
import {
  buildOf,
  CONTEXT_TAG_VARIABLE,
  isObject,
  OVERLAY_MTU_VARIABLE,
  REGISTRY_VARIABLE,
  StackDefinition,
  swarmlabLookup,
} from "./compose";
import { stringifyCompose } from "./compose-yaml";
import { escapeDollars, interpolate } from "./interpolate";
import { longPort, portsOf } from "./ports";
import { shippedPath, StackFile, versionedName } from "./stack-files";

/** What the cluster gives a stack's variables. */
export interface ClusterValues {
  /** The registry's address, host:port. */
  registry: string;
  /** The value of com.docker.network.driver.mtu (settings.ts overlayMtu: the network's MTU). */
  overlayMtu: number;
  /** The image tag of each service that builds its image (contextTag of its context). */
  contextTags: Readonly<Record<string, string>>;
}

export const MTU_OPTION = "com.docker.network.driver.mtu";

/**
 * The image a built service runs: the file's image when it already names the cluster's
 * registry (the older convention, `${SWARMLAB_REGISTRY}/x:${SWARMLAB_CONTEXT_TAG}`); otherwise
 * its repository part (`dockersamples/vote` of `dockersamples/vote:1.0`), or `<stack>-<service>`
 * without an image, under the registry, tagged with the context's hash.
 */
export function builtImageName(
  stack: string,
  service: string,
  rawImage: unknown,
  values: { registry: string; tag: string },
): string {
  const image = typeof rawImage === "string" ? rawImage : "";
  if (image.includes(`\${${REGISTRY_VARIABLE}}`)) {
    return image
      .split(`\${${REGISTRY_VARIABLE}}`)
      .join(values.registry)
      .split(`\${${CONTEXT_TAG_VARIABLE}}`)
      .join(values.tag);
  }
  const withoutDigest = image.split("@")[0];
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  const repository = (colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest)
    .toLowerCase()
    .replace(/[^a-z0-9._/-]/g, "-");
  return `${values.registry}/${repository || `${stack}-${service}`}:${values.tag}`;
}

function withOverride(
  service: Record<string, unknown>,
  override: ServiceOverride,
  where: string,
): void {
  if (override.replicas !== undefined) {
    service.deploy = {
      ...(isObject(service.deploy) ? service.deploy : {}),
      replicas: override.replicas,
    };
  }
  if (service.ports === undefined) return;
  const ports = portsOf(service.ports, where).map((port) => {
    const changed = override.ports?.[String(port.target)];
    return changed
      ? { ...port, published: changed.published, ...(changed.mode ? { mode: changed.mode } : {}) }
      : port;
  });
  service.ports = ports.map(longPort);
}

/**
 * Whether docker stack deploy attaches `service` to the stack's `default` network: when it names
 * no network (an empty list too), or names `default` itself, which needs no declaration. The
 * docker CLI's convertServiceNetworks (cli/compose/convert/service.go) does so; `network_mode` is
 * ignored by stack deploy ("Ignoring unsupported options: network_mode"), so it changes nothing.
 */
function onDefaultNetwork(service: Record<string, unknown>): boolean {
  const networks = service.networks;
  if (Array.isArray(networks)) return networks.length === 0 || networks.includes("default");
  if (isObject(networks)) return Object.keys(networks).length === 0 || "default" in networks;
  return true;
}

/** Networks with the overlay MTU where the file sets none; `default` added when services use it. */
function withMtu(
  networks: Record<string, unknown>,
  services: Record<string, Record<string, unknown>>,
  mtu: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...networks };
  const usesDefault = Object.values(services).some(onDefaultNetwork);
  if (usesDefault && !("default" in out)) out.default = {};
  for (const [name, definition] of Object.entries(out)) {
    const network = isObject(definition) ? definition : {};
    const driver = network.driver ?? "overlay";
    if (network.external !== undefined && network.external !== false) continue;
    if (driver !== "overlay") continue;
    const options = isObject(network.driver_opts) ? network.driver_opts : {};
    if (MTU_OPTION in options) continue;
    out[name] = { ...network, driver_opts: { ...options, [MTU_OPTION]: String(mtu) } };
  }
  return out;
}

/** The rendered text and the files that travel with it. */
export interface RenderedStack {
  compose: string;
  files: StackFile[];
}

/** Secrets or configs made from files: shipped, and named by their content. */
function withShippedFiles(
  stack: StackDefinition,
  section: Record<string, unknown>,
  shipped: Map<string, StackFile>,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(section).map(([key, definition]) => {
      if (!isObject(definition) || typeof definition.file !== "string") return [key, definition];
      const content = stack.files.get(definition.file) as Buffer;
      const file = ship(definition.file, content, shipped);
      const name = typeof definition.name === "string" ? definition.name : `${stack.name}_${key}`;
      return [key, { ...definition, name: versionedName(name, content), file: `./${file}` }];
    }),
  );
}

function ship(source: string, content: Buffer, shipped: Map<string, StackFile>): string {
  const file = shippedPath(source, content);
  shipped.set(file, { path: file, content });
  return file;
}

/** The compose text deployed for `stack` on a cluster, and the files it names. */
export function renderStack(
  stack: StackDefinition,
  values: ClusterValues,
  overrides: Readonly<Record<string, ServiceOverride>> = {},
): RenderedStack {
  const problems: string[] = [];
  const common = {
    [REGISTRY_VARIABLE]: values.registry,
    [OVERLAY_MTU_VARIABLE]: String(values.overlayMtu),
  };
  const { services: rawServices, ...rest } = stack.document;
  const top = interpolate(rest, swarmlabLookup(common), problems) as Record<string, unknown>;
  const shipped = new Map<string, StackFile>();
  const services: Record<string, Record<string, unknown>> = {};
  for (const [name, definition] of Object.entries(isObject(rawServices) ? rawServices : {})) {
    const built = buildOf((definition as Record<string, unknown>).build) !== undefined;
    const tag = values.contextTags[name];
    if (built && tag === undefined)
      throw new Error(`no image tag for ${stack.file} service ${name}`);
    const lookup = swarmlabLookup({ ...common, ...(built ? { [CONTEXT_TAG_VARIABLE]: tag } : {}) });
    const service = interpolate(definition, lookup, problems, ["services", name]) as Record<
      string,
      unknown
    >;
    if (built) {
      // The image as written: whether it names ${SWARMLAB_REGISTRY} itself decides the name.
      const written = (definition as Record<string, unknown>).image;
      service.image = builtImageName(stack.name, name, written, {
        registry: values.registry,
        tag,
      });
      delete service.build;
    }
    if (service.env_file !== undefined) {
      const sources = typeof service.env_file === "string" ? [service.env_file] : service.env_file;
      service.env_file = (sources as string[]).map(
        (source) => `./${ship(source, stack.files.get(source) as Buffer, shipped)}`,
      );
    }
    withOverride(service, overrides[name] ?? {}, `services.${name}.ports`);
    services[name] = service;
  }
  // loadStack checked the same text with placeholders: what fails here is a swarmlab bug.
  if (problems.length > 0) throw new Error(`${stack.file}: ${problems.join("; ")}`);
  for (const section of ["secrets", "configs"]) {
    if (isObject(top[section])) top[section] = withShippedFiles(stack, top[section], shipped);
  }
  const networks = withMtu(isObject(top.networks) ? top.networks : {}, services, values.overlayMtu);
  const document = {
    ...top,
    services,
    ...(Object.keys(networks).length > 0 ? { networks } : {}),
  };
  const files = [...shipped.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  return {
    compose: `# ${stack.file}, resolved by swarmlab for this cluster\n${stringifyCompose(escapeDollars(document))}`,
    files,
  };
}

/** The compose text alone (see renderStack). */
export function renderCompose(
  stack: StackDefinition,
  values: ClusterValues,
  overrides: Readonly<Record<string, ServiceOverride>> = {},
): string {
  return renderStack(stack, values, overrides).compose;
}
