/**
 * How this update meets the swarm, decided from the previous deployment (a self StackReference)
 * before any server exists, which is what breaks the cycle manager-0 <- tokens <- manager-0:
 *   first     no previous deployment: manager-0 initialises the swarm;
 *   rebuild   user-data or image changed: every server is replaced, manager-0 initialises a new
 *             swarm (the preview says so);
 *   existing  otherwise: the previous managers' addresses are asked for the join facts, and a
 *             manager-0 created now (lost, then `pulumi up --refresh`) joins the surviving
 *             managers. Only when none answers does it start a new swarm, and the update says so.
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import type { PreviousDeployment, PreviousNode } from "./previous-deployment";

export type SwarmMode = "first" | "rebuild" | "existing";

/** What replaces every server: the stack's user-data and image. */
export function rebuildKeyOf(userData: string, image: string): string {
  return createHash("sha256").update(`${image}\n${userData}`).digest("hex");
}

export function swarmMode(
  previousNodes: PreviousNode[],
  previousKey: string | undefined,
  key: string,
): SwarmMode {
  if (previousNodes.length === 0) return "first";
  // A deployment from before rebuildKey existed counts as unchanged.
  if (previousKey !== undefined && previousKey !== key) return "rebuild";
  return "existing";
}

/** The previous managers' floating IPs, manager-0 first: the fixed order steps try them in. */
export function previousManagerAddresses(nodes: PreviousNode[], owner: string): string[] {
  const index = (name: string) => Number(name.slice(`${owner}-manager-`.length));
  return (
    nodes
      .filter((node) => node.name.startsWith(`${owner}-manager-`) && node.publicIp)
      .sort((a, b) => index(a.name) - index(b.name))
      // The local cloud's managers share 127.0.0.1 and differ by SSH port (ssh-endpoint.ts).
      .map((node) => node.sshAddress ?? (node.publicIp as string))
  );
}

export function newSwarmWarning(
  owner: string,
  mode: SwarmMode,
  tried: string[],
): string | undefined {
  if (mode === "rebuild") {
    return (
      `${owner}: user-data or image changed, so every server is rebuilt and manager-0 starts a ` +
      "NEW swarm: services, secrets and configs of the current swarm are lost (deploy them again)"
    );
  }
  if (mode === "existing") {
    return (
      `${owner}: no manager of the swarm answered over SSH (tried ${tried.join(", ") || "none"}): ` +
      "if manager-0 is created in this update it starts a NEW swarm and the old swarm's " +
      "services are lost. If a manager is only unreachable, cancel, make it reachable, and run " +
      "pulumi up --refresh again"
    );
  }
  return undefined;
}

export interface SwarmPlanArgs {
  owner: string;
  previous: PreviousDeployment;
  userData: pulumi.Input<string>;
  image: string;
}

export interface SwarmPlan {
  mode: pulumi.Output<SwarmMode>;
  rebuildKey: pulumi.Output<string>;
  /** Where to ask for the survivors' join facts: the previous managers, unless not "existing". */
  survivorAddresses: pulumi.Output<string[]>;
  /** The previous managers other than manager-0, in order. */
  previousManagersBut0: pulumi.Output<string[]>;
}

export function swarmPlan(args: SwarmPlanArgs): SwarmPlan {
  const rebuildKey = pulumi.output(args.userData).apply((u) => rebuildKeyOf(u, args.image));
  const mode = pulumi
    .all([args.previous.nodes, args.previous.rebuildKey, rebuildKey])
    .apply(([nodes, previousKey, key]) => swarmMode(nodes, previousKey, key));
  const managers = args.previous.nodes.apply((nodes) =>
    previousManagerAddresses(nodes, args.owner),
  );
  return {
    mode,
    rebuildKey,
    survivorAddresses: pulumi
      .all([mode, managers])
      .apply(([m, addresses]) => (m === "existing" ? addresses : [])),
    previousManagersBut0: managers.apply((addresses) => addresses.slice(1)),
  };
}

/**
 * Says plainly, at preview and up, when manager-0 would start a new swarm over an old one. A
 * rebuild is known before anything runs (the previous deployment's rebuildKey against this
 * user-data), so it is said on its own: in a preview the survivors step's outputs are unknown
 * whenever it is created or changed, and an apply over them never runs. Whether the survivors
 * answer is known only once they were asked (an update, or a preview that keeps their answer).
 */
export function warnIfNewSwarm(
  owner: string,
  plan: SwarmPlan,
  survivorsAnswered: pulumi.Output<boolean>,
): void {
  const say = (warning: string | undefined) => {
    if (warning) void pulumi.log.warn(warning);
  };
  plan.mode.apply((mode) =>
    mode === "rebuild" ? say(newSwarmWarning(owner, mode, [])) : undefined,
  );
  pulumi
    .all([plan.mode, plan.survivorAddresses, survivorsAnswered])
    .apply(([mode, tried, ok]) =>
      mode === "existing" && !ok ? say(newSwarmWarning(owner, mode, tried)) : undefined,
    );
}
