/**
 * The ports a stack publishes once its overrides are applied: for the security group (opened to
 * allowedCidrs) and for the stack outputs' URLs.
 */
import type { ServiceOverride, StackChoice } from "../config/stacks-config";
import { folderOf, stackFolders } from "./catalog";
import { loadStack, StackDefinition } from "./compose";

export interface PublishedPort {
  service: string;
  target: number;
  published: number;
  /** ingress: every node answers (routing mesh); host: only nodes running one of its tasks. */
  mode: "ingress" | "host";
  protocol: string;
}

export function publishedPorts(
  stack: StackDefinition,
  overrides: Readonly<Record<string, ServiceOverride>> = {},
): PublishedPort[] {
  return stack.services.flatMap((service) =>
    service.ports.flatMap((port) => {
      const override = overrides[service.name]?.ports?.[String(port.target)];
      const published = override?.published ?? port.published;
      if (published === undefined) return [];
      const mode = (override?.mode ?? port.mode) === "host" ? "host" : "ingress";
      const protocol = port.protocol ?? "tcp";
      return [{ service: service.name, target: port.target, published, mode, protocol }];
    }),
  );
}

/** How a student opens a published port: any node for the routing mesh, the task's node for host mode. */
export function portUrl(port: PublishedPort, managerIp: string): string {
  const scheme = port.protocol === "tcp" ? "http" : port.protocol;
  return port.mode === "ingress"
    ? `${scheme}://${managerIp}:${port.published}`
    : `${scheme}://<a node running ${port.service}>:${port.published}`;
}

/** The key of a port in the `stacks` output: "web:80", "dns:53/udp". */
export function portKey(port: PublishedPort): string {
  return `${port.service}:${port.target}${port.protocol === "tcp" ? "" : `/${port.protocol}`}`;
}

/**
 * Every port the chosen stacks publish, once per protocol, for the security group (known at
 * preview): 53/udp opens a UDP rule, 53/tcp a TCP one. SCTP has no rule (Neutron's groups here
 * open TCP and UDP; a stack publishing SCTP is reached only inside the cloud network).
 */
export function chosenStackPorts(
  choices: readonly StackChoice[],
  folders: readonly string[] = stackFolders(),
): { port: number; protocol: "tcp" | "udp" }[] {
  const ports = chosenPublishedPorts(choices, folders);
  const byKey = new Map<string, { port: number; protocol: "tcp" | "udp" }>();
  for (const { published, protocol } of ports) {
    if (protocol === "tcp" || protocol === "udp") {
      byKey.set(`${published}/${protocol}`, { port: published, protocol });
    }
  }
  return [...byKey.values()];
}

/** Every published port of the chosen stacks, overrides applied, in the order of the choices. */
export function chosenPublishedPorts(
  choices: readonly StackChoice[],
  folders: readonly string[] = stackFolders(),
): PublishedPort[] {
  return choices.flatMap((choice) => {
    const loaded = loadStack(choice.name, folderOf(choice.name, folders));
    return loaded.ok ? publishedPorts(loaded.stack, choice.services) : [];
  });
}
