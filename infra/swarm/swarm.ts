/**
 * The swarm's life, driven over SSH with ManagerStep (manager-step.ts) on whichever manager answers
 * first, in a fixed order (docs/design.md principle 9), not on manager-0 alone:
 *   survivors  on an existing swarm: the join facts a NEW manager-0 needs from surviving managers;
 *   bootstrap  waits for cloud-init and an active swarm on a manager, returns the join tokens;
 *   membership one per other node: on delete, drains and removes the node before its VM goes;
 *   ready gate waits until exactly the expected nodes are Ready with their roles;
 *   rotation   optional: new join tokens once everybody has joined.
 * The scripts are the exported builders of remote-scripts.ts, the same the system test runs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { SwarmRole } from "../config/metadata";
import type { NodeIdentity } from "../config/naming";
import type { JoinInfo } from "../nodes/nodes";
import type { HostKeys } from "./host-key-check";
import { ManagerStep, ManagerStepArgs } from "./manager-step";
import {
  autolockOffScript,
  autolockScript,
  ExpectedNode,
  LeavingNode,
  bootstrapScript,
  parseJoinTokens,
  parseSwarmNodes,
  parseUnlockKey,
  readyGateScript,
  RemoteScript,
  removeNodeScript,
  rotateTokensScript,
  SwarmNodeStatus,
} from "./remote-scripts";

/** How this machine reaches the swarm: every manager's address, in the order they are tried. */
export interface ManagerAccess {
  /** Floating IPs of manager-0, manager-1, ...: known before the servers (fixed addresses). */
  managers: pulumi.Input<pulumi.Input<string>[]>;
  /** Their host keys, pinned at first contact (host-key-pin.ts); unpinned managers are skipped. */
  hostKeys: pulumi.Input<HostKeys>;
  user: string;
  privateKey: pulumi.Input<string>;
}

/** How long refresh may wait for a manager's cloud-init and swarm when it re-reads the tokens. */
const REFRESH_SCRIPT_TIMEOUT_SECONDS = 60;

/**
 * Teardown budget: all delete steps of one stack give unreachable managers at most this long in
 * all. Manager memberships are deleted one after another (workers' in parallel with them), so each
 * gets its share.
 */
export const TEARDOWN_BUDGET_SECONDS = 50;

export function deleteReachSeconds(managers: number): number {
  return Math.min(20, Math.floor(TEARDOWN_BUDGET_SECONDS / Math.max(1, managers - 1)));
}

export interface SwarmBootstrapArgs {
  access: ManagerAccess;
  bootTimeoutSeconds: number;
  /**
   * Values whose change re-reads the tokens: the node counts (after a rotation, nodes added by a
   * later scale-up must get the current tokens) and manager-0's server id. `pulumi up --refresh`
   * re-reads them too (the step's refresh script), so a server recreated after a loss gets
   * the current tokens.
   */
  rereadOn: pulumi.Input<unknown>[];
  /** What must exist before SSH can work (manager-0's server, floating IP association). */
  waitFor: pulumi.Resource[];
}

/** The bootstrap step: the join tokens from the first manager with an active swarm. */
export function bootstrapStep(
  access: ManagerAccess,
  bootTimeoutSeconds: number,
  rereadOn: pulumi.Input<unknown>[] = [],
): ManagerStepArgs {
  return {
    description: "swarm bootstrap: join tokens",
    ...access,
    create: bootstrapScript(bootTimeoutSeconds),
    read: bootstrapScript(REFRESH_SCRIPT_TIMEOUT_SECONDS),
    // stdout carries the join tokens: secret in the state, never quoted.
    secretStdout: true,
    triggers: rereadOn,
    reachTimeoutSeconds: bootTimeoutSeconds,
  };
}

/** Waits until a manager has finished cloud-init with an active swarm; yields the join tokens. */
export class SwarmBootstrap extends pulumi.ComponentResource {
  public readonly workerJoin: pulumi.Output<JoinInfo>;
  public readonly managerJoin: pulumi.Output<JoinInfo>;

  constructor(name: string, args: SwarmBootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:swarm:SwarmBootstrap", name, {}, opts);
    const bootstrap = new ManagerStep(
      `${name}-tokens`,
      bootstrapStep(args.access, args.bootTimeoutSeconds, args.rereadOn),
      // Children do not inherit a component's dependsOn: the step itself must wait.
      { parent: this, dependsOn: args.waitFor },
    );
    const tokens = bootstrap.stdout.apply(parseJoinTokens);
    this.workerJoin = pulumi.secret(tokens.apply((t) => ({ addr: t.joinAddr, token: t.worker })));
    this.managerJoin = pulumi.secret(tokens.apply((t) => ({ addr: t.joinAddr, token: t.manager })));
    this.registerOutputs({});
  }
}

/**
 * The join facts a NEW manager-0 of an existing swarm needs (the manager token and a surviving
 * manager's address), read from the managers at REFRESH only. manager-0 is created again in an
 * existing swarm only after it was lost out of band, and Pulumi learns that only from
 * `pulumi up --refresh` (or `pulumi refresh`): that same refresh asks the managers, in order.
 * Nothing runs on create or update, so a second `up` with no change runs nothing here and the
 * step's inputs (this deployment's manager addresses) do not change between deployments.
 */
export function survivorsStep(access: ManagerAccess): ManagerStepArgs {
  return {
    description: "join facts from surviving managers",
    ...access,
    read: bootstrapScript(REFRESH_SCRIPT_TIMEOUT_SECONDS),
    secretStdout: true,
    reachTimeoutSeconds: 30,
    whenUnreachable: "skip",
  };
}

/** How a new manager-0 joins the survivors: their manager token and the answering address. */
export function survivorsJoinInfo(stdout: string, answeredBy: string): JoinInfo | undefined {
  if (!answeredBy || stdout.trim() === "") return undefined;
  const tokens = parseJoinTokens(stdout);
  return { addr: tokens.joinAddr, token: tokens.manager };
}

export interface SurvivorsJoin {
  /** The manager token and the answering manager's address (secret); undefined: none answered. */
  join: pulumi.Output<JoinInfo | undefined>;
  /** Whether a manager answered with join facts (not secret, unlike `join`). */
  answered: pulumi.Output<boolean>;
  /** Whether the last refresh asked and no manager answered. */
  unreachable: pulumi.Output<boolean>;
}

export function survivorsJoin(
  name: string,
  access: ManagerAccess,
  opts: pulumi.CustomResourceOptions,
): SurvivorsJoin {
  const step = new ManagerStep(name, survivorsStep(access), opts);
  const join = pulumi
    .all([step.stdout, step.answeredBy])
    .apply(([stdout, answeredBy]) => survivorsJoinInfo(stdout, answeredBy));
  return {
    join: pulumi.secret(join),
    // Whether there are facts is no secret, only the facts are.
    answered: pulumi.unsecret(join.apply((info) => info !== undefined)),
    unreachable: step.skipped,
  };
}

export interface SwarmMembershipArgs {
  /** The managers other than this node (a node never removes itself). */
  access: ManagerAccess;
  node: NodeIdentity;
  /** The node's server id: a replaced server is drained and removed under its old id first. */
  instanceId: pulumi.Input<string>;
  timeoutSeconds: number;
  /** How long unreachable managers may take on delete before the step is skipped. */
  deleteReachTimeoutSeconds: number;
}

/**
 * Nothing on create; on delete (scale-down, replacement, destroy) runs the remove-node script on
 * a manager so `docker node ls` keeps no Down ghosts. Pulumi deletes it before the server it
 * depends on, which is exactly the order drain -> node rm -> delete VM. When no manager answers
 * (all gone), it is skipped with a warning and the next ready gate removes the Down entry.
 */
export function swarmMembership(
  name: string,
  args: SwarmMembershipArgs,
  opts: pulumi.CustomResourceOptions,
): ManagerStep {
  return new ManagerStep(name, membershipStep(args), opts);
}

export function membershipStep(args: SwarmMembershipArgs): ManagerStepArgs {
  return {
    description: `swarm membership of ${args.node.name}`,
    ...args.access,
    delete: removeNodeScript(args.node.name, args.node.role, args.timeoutSeconds),
    triggers: [args.instanceId],
    deleteReachTimeoutSeconds: args.deleteReachTimeoutSeconds,
    scriptTimeoutSeconds: 2 * args.timeoutSeconds + 120,
  };
}

export interface SwarmReadyGateArgs {
  access: ManagerAccess;
  /** The owner: Down entries named `<owner>-...` that are not expected are removed. */
  owner: string;
  /** Every node of this deployment, at the private address its port fixes. */
  expected: { name: string; role: SwarmRole; address: pulumi.Input<string> }[];
  /**
   * Nodes of the previous deployment that this update removes. Pulumi deletes them (drain, node
   * rm) only after the gate has run, so the gate lets them be at their known addresses; any other
   * node fails it.
   */
  leaving: pulumi.Input<LeavingNode[]>;
  /** Server ids: the gate runs again whenever any server is replaced. */
  instanceIds: pulumi.Input<string>[];
  timeoutSeconds: number;
  /** Every server and membership: the gate checks only once all of them exist. */
  waitFor: pulumi.Resource[];
}

/** The ready gate step over `script` (readyGateScript). */
export function readyGateStep(
  access: ManagerAccess,
  script: pulumi.Input<RemoteScript>,
  timeoutSeconds: number,
  instanceIds: pulumi.Input<string>[] = [],
): ManagerStepArgs {
  return {
    description: "ready gate",
    ...access,
    create: script,
    triggers: instanceIds,
    reachTimeoutSeconds: timeoutSeconds,
  };
}

/** Fails the update, naming the missing nodes, unless every expected node is Ready in time. */
export class SwarmReadyGate extends pulumi.ComponentResource {
  public readonly nodes: pulumi.Output<SwarmNodeStatus[]>;

  constructor(name: string, args: SwarmReadyGateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:swarm:SwarmReadyGate", name, {}, opts);
    const script = pulumi
      .all([pulumi.all(args.expected.map((node) => node.address)), args.leaving])
      .apply(([addresses, leaving]) => {
        const expected: ExpectedNode[] = args.expected.map((node, i) => ({
          name: node.name,
          role: node.role,
          address: addresses[i],
        }));
        return readyGateScript(expected, args.timeoutSeconds, leaving, args.owner);
      });
    const gate = new ManagerStep(
      `${name}-check`,
      readyGateStep(args.access, script, args.timeoutSeconds, args.instanceIds),
      { parent: this, dependsOn: args.waitFor },
    );
    this.nodes = gate.stdout.apply(parseSwarmNodes);
    this.registerOutputs({ nodes: this.nodes });
  }
}

/** Rotates both join tokens so the ones in instance metadata stop working. */
export function rotateJoinTokens(
  name: string,
  access: ManagerAccess,
  rotateOn: pulumi.Input<unknown>[],
  opts: pulumi.CustomResourceOptions,
): ManagerStep {
  return new ManagerStep(name, rotationStep(access, rotateOn), opts);
}

export function rotationStep(
  access: ManagerAccess,
  rotateOn: pulumi.Input<unknown>[] = [],
): ManagerStepArgs {
  return {
    description: "join token rotation",
    ...access,
    create: rotateTokensScript(),
    secretStdout: true,
    triggers: rotateOn,
  };
}

/**
 * Swarm autolock as declared, once the swarm is Ready: on, yielding the unlock key as a secret,
 * or off. One step whose script follows `enabled`: switching `autolock` from true to false
 * changes its `create`, which re-runs it and turns autolock off for real (a step that only
 * existed while autolock was on would be deleted and leave the swarm locked). Runs again when a
 * value of `rerunOn` changes (manager-0's server id: a new swarm starts unlocked).
 */
export function swarmAutolock(
  name: string,
  enabled: boolean,
  access: ManagerAccess,
  rerunOn: pulumi.Input<unknown>[],
  opts: pulumi.CustomResourceOptions,
): pulumi.Output<string> | undefined {
  const script = enabled ? autolockScript() : autolockOffScript();
  const autolock = new ManagerStep(
    name,
    {
      description: `swarm autolock ${enabled ? "on" : "off"}`,
      ...access,
      create: script,
      // stdout is the unlock key: secret in the state.
      secretStdout: true,
      triggers: rerunOn,
    },
    opts,
  );
  return enabled ? pulumi.secret(autolock.stdout.apply(parseUnlockKey)) : undefined;
}
