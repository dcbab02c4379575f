/**
 * The ports a stack publishes once its overrides are applied: for the security group (opened to
 * allowedCidrs) and for the stack outputs' URLs.
 */
import type { ServiceOverride, StackChoice } from "../config/stacks-config";
import { loadStack, StackDefinition } from "./compose";

export interface PublishedPort {
  service: string;
  target: number;
  published: number;
  /** ingress: every node answers (routing mesh); host: only nodes running one of its tasks. */
  mode: "ingress" | "host";
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
      return [{ service: service.name, target: port.target, published, mode }];
    }),
  );
}

/** How a student opens a published port: any node for the routing mesh, the task's node for host mode. */
export function portUrl(port: PublishedPort, managerIp: string): string {
  return port.mode === "ingress"
    ? `http://${managerIp}:${port.published}`
    : `http://<a node running ${port.service}>:${port.published}`;
}

/** Every port the chosen stacks publish, for the security group (known at preview). */
export function chosenStackPorts(choices: readonly StackChoice[]): number[] {
  return choices.flatMap((choice) => {
    const loaded = loadStack(choice.name);
    return loaded.ok ? publishedPorts(loaded.stack, choice.services).map((p) => p.published) : [];
  });
}
