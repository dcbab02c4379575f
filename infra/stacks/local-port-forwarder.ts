/**
 * How this machine reaches the ports the stacks publish on the local cloud: one small container
 * per published port and protocol on the lab network, its port published on 127.0.0.1 (plus
 * swarmlab:localPortOffset), running templates/local-port-forward.sh, which hands each TCP
 * connection to the first node that accepts it (any node with the routing mesh, a node with a
 * task in host mode). Declared from the stacks' published ports: adding a port adds a forwarder
 * and touches no node. Pure: the Pulumi program hands it to `docker.Container`.
 *
 * UDP goes to manager-0 only (a datagram is never refused, so there is no "first that accepts"):
 * a UDP port in ingress mode is forwarded, one in host mode is not (its URL says so). SCTP is not.
 */
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { LocalForwardedPort } from "../config/local-ports";
import { templateFile } from "../nodes/templates";
import type { PublishedPort } from "./published-ports";
import { PUBLISH_ADDRESS } from "../local/node-container";

/** Where the forward script is uploaded in the forwarder container. */
export const FORWARD_SCRIPT = "/usr/local/lib/swarmlab/local-port-forward.sh";

export interface PortForwarder {
  /** Container name, unique on the Docker host: `<owner>-port-<published>-<protocol>`. */
  name: string;
  protocol: "tcp" | "udp";
  /** The port the stack publishes on the nodes. */
  published: number;
  /** The port on 127.0.0.1: published + swarmlab:localPortOffset. */
  hostPort: number;
  /** The nodes' lab addresses in the order tried: managers first. */
  targets: string[];
}

/** Whether the local cloud forwards this port to 127.0.0.1. */
export function isForwarded(port: PublishedPort): boolean {
  return port.protocol === "tcp" || (port.protocol === "udp" && port.mode === "ingress");
}

/**
 * The ports that get a forwarder: one per published port and protocol of the chosen stacks
 * (validate-stacks.ts refuses two stacks on one), in the order given, named for messages.
 */
export function forwardedPorts(ports: readonly PublishedPort[]): LocalForwardedPort[] {
  const byKey = new Map<string, LocalForwardedPort>();
  for (const port of ports.filter(isForwarded)) {
    const protocol = port.protocol as "tcp" | "udp";
    const key = `${port.published}/${protocol}`;
    if (byKey.has(key)) continue;
    byKey.set(key, {
      what: `the stacks' port ${key} (service ${port.service})`,
      published: port.published,
      protocol,
    });
  }
  return [...byKey.values()];
}

/** One forwarder per forwarded port. `nodes`: every node's lab address, managers first. */
export function portForwarders(
  owner: string,
  ports: readonly PublishedPort[],
  offset: number,
  nodes: readonly string[],
): PortForwarder[] {
  return forwardedPorts(ports).map(({ published, protocol }) => ({
    name: `${owner}-port-${published}-${protocol}`,
    protocol,
    published,
    hostPort: published + offset,
    targets: protocol === "tcp" ? [...nodes] : nodes.slice(0, 1),
  }));
}

export interface ForwarderContainerArgs {
  image: pulumi.Input<string>;
  network: pulumi.Input<string>;
  labels: Readonly<Record<string, string>>;
}

/** A forwarder as @pulumi/docker's Container arguments. */
export function forwarderContainerArgs(
  forwarder: PortForwarder,
  args: ForwarderContainerArgs,
): docker.ContainerArgs {
  return {
    name: forwarder.name,
    image: args.image,
    networksAdvanced: [{ name: args.network }],
    labels: Object.entries(args.labels).map(([label, value]) => ({ label, value })),
    ports: [
      {
        internal: forwarder.published,
        external: forwarder.hostPort,
        ip: PUBLISH_ADDRESS,
        protocol: forwarder.protocol,
      },
    ],
    uploads: [{ file: FORWARD_SCRIPT, content: templateFile("local-port-forward.sh") }],
    // The node image's entrypoint is systemd: the forwarder runs the script instead.
    entrypoints: ["/bin/bash", FORWARD_SCRIPT],
    command: [
      forwarder.protocol,
      String(forwarder.published),
      String(forwarder.published),
      ...forwarder.targets,
    ],
    restart: "unless-stopped",
  };
}

/** The URL of a stack's port on the local cloud: 127.0.0.1 and its forwarder's host port. */
export function localPortUrl(port: PublishedPort, offset: number): string {
  const scheme = port.protocol === "tcp" ? "http" : port.protocol;
  if (!isForwarded(port)) {
    return `${scheme}://<a node running ${port.service}>:${port.published} (inside the lab only: the local cloud forwards TCP and ingress UDP)`;
  }
  return `${scheme}://${PUBLISH_ADDRESS}:${port.published + offset}`;
}
