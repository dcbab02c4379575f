/**
 * The swarm's life, driven over SSH on manager-0 with @pulumi/command:
 *   bootstrap  waits for manager-0's cloud-init and the swarm, returns the join tokens (secret);
 *   membership one per other node: on delete, drains and removes the node before its VM goes;
 *   ready gate waits until exactly the expected nodes are Ready with their roles;
 *   rotation   optional: new join tokens once everybody has joined.
 * The scripts are the exported builders of remote-scripts.ts, the same the system test runs.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { SwarmRole } from "../config/metadata";
import type { NodeIdentity } from "../config/naming";
import type { JoinInfo } from "../nodes/nodes";
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
  removeNodeScript,
  RemoteScript,
  rotateTokensScript,
  SwarmNodeStatus,
} from "./remote-scripts";

export interface ManagerConnectionArgs {
  host: pulumi.Input<string>;
  user: string;
  privateKey: pulumi.Input<string>;
  /** How long SSH may take to come up on a fresh server. */
  bootTimeoutSeconds: number;
}

/** Per-dial timeout of @pulumi/command; dial attempts are spread over the boot deadline. */
const PER_DIAL_TIMEOUT_SECONDS = 15;

export function managerConnection(
  args: ManagerConnectionArgs,
): command.types.input.remote.ConnectionArgs {
  return {
    host: args.host,
    user: args.user,
    privateKey: args.privateKey,
    perDialTimeout: PER_DIAL_TIMEOUT_SECONDS,
    dialErrorLimit: Math.ceil(args.bootTimeoutSeconds / PER_DIAL_TIMEOUT_SECONDS),
  };
}

function scriptArgs(script: RemoteScript): Pick<command.remote.CommandArgs, "create" | "stdin"> {
  return { create: script.command, stdin: script.stdin };
}

export interface SwarmBootstrapArgs {
  connection: command.types.input.remote.ConnectionArgs;
  bootTimeoutSeconds: number;
  /**
   * Values whose change re-reads the tokens: the node counts (after a rotation, nodes added by a
   * later scale-up must get the current tokens, not the ones read at the first boot) and
   * manager-0's server id (a new manager-0 initialises a new swarm with new tokens).
   */
  rereadOn: pulumi.Input<unknown>[];
  /** What must exist before SSH to manager-0 can work (server, floating IP association). */
  waitFor: pulumi.Resource[];
}

/** Waits for manager-0 to finish cloud-init with an active swarm; yields the join tokens. */
export class SwarmBootstrap extends pulumi.ComponentResource {
  public readonly workerJoin: pulumi.Output<JoinInfo>;
  public readonly managerJoin: pulumi.Output<JoinInfo>;

  constructor(name: string, args: SwarmBootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:swarm:SwarmBootstrap", name, {}, opts);
    const bootstrap = new command.remote.Command(
      `${name}-tokens`,
      {
        connection: args.connection,
        ...scriptArgs(bootstrapScript(args.bootTimeoutSeconds)),
        // stdout carries the join tokens: keep it out of the logs and secret in the state.
        logging: "stderr",
        triggers: args.rereadOn,
      },
      // Children do not inherit a component's dependsOn: the command itself must wait.
      { parent: this, additionalSecretOutputs: ["stdout"], dependsOn: args.waitFor },
    );
    const tokens = pulumi.secret(bootstrap.stdout).apply(parseJoinTokens);
    this.workerJoin = pulumi.secret(tokens.apply((t) => ({ addr: t.joinAddr, token: t.worker })));
    this.managerJoin = pulumi.secret(tokens.apply((t) => ({ addr: t.joinAddr, token: t.manager })));
    this.registerOutputs({});
  }
}

export interface SwarmMembershipArgs {
  connection: command.types.input.remote.ConnectionArgs;
  node: NodeIdentity;
  /** The node's server id: a replaced server is drained and removed under its old id first. */
  instanceId: pulumi.Input<string>;
  timeoutSeconds: number;
}

/**
 * Nothing on create; on delete (scale-down, replacement, destroy) runs the remove-node script on
 * manager-0 so `docker node ls` keeps no Down ghosts. Pulumi deletes it before the server it
 * depends on, which is exactly the order drain -> node rm -> delete VM.
 */
export class SwarmMembership extends command.remote.Command {
  constructor(name: string, args: SwarmMembershipArgs, opts?: pulumi.CustomResourceOptions) {
    const remove = removeNodeScript(args.node.name, args.node.role, args.timeoutSeconds);
    super(
      name,
      {
        connection: args.connection,
        delete: remove.command,
        stdin: remove.stdin,
        triggers: [args.instanceId],
      },
      { deleteBeforeReplace: true, ...opts },
    );
  }
}

export interface SwarmReadyGateArgs {
  connection: command.types.input.remote.ConnectionArgs;
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
        return readyGateScript(expected, args.timeoutSeconds, leaving);
      });
    const gate = new command.remote.Command(
      `${name}-check`,
      {
        connection: args.connection,
        create: script.apply((s) => s.command),
        stdin: script.apply((s) => s.stdin),
        triggers: args.instanceIds,
      },
      { parent: this, dependsOn: args.waitFor },
    );
    this.nodes = gate.stdout.apply(parseSwarmNodes);
    this.registerOutputs({ nodes: this.nodes });
  }
}

/** Rotates both join tokens so the ones in instance metadata stop working. */
export function rotateJoinTokens(
  name: string,
  connection: command.types.input.remote.ConnectionArgs,
  rotateOn: pulumi.Input<unknown>[],
  opts: pulumi.CustomResourceOptions,
): command.remote.Command {
  return new command.remote.Command(
    name,
    { connection, ...scriptArgs(rotateTokensScript()), logging: "stderr", triggers: rotateOn },
    { additionalSecretOutputs: ["stdout"], ...opts },
  );
}

/**
 * Swarm autolock as declared, once the swarm is Ready: on, yielding the unlock key as a secret,
 * or off. One command whose script follows `enabled`: switching `autolock` from true to false
 * changes its `create`, which re-runs it and turns autolock off for real (a command that only
 * existed while autolock was on would be deleted and leave the swarm locked). Runs again when a
 * value of `rerunOn` changes (manager-0's server id: a new swarm starts unlocked).
 */
export function swarmAutolock(
  name: string,
  enabled: boolean,
  connection: command.types.input.remote.ConnectionArgs,
  rerunOn: pulumi.Input<unknown>[],
  opts: pulumi.CustomResourceOptions,
): pulumi.Output<string> | undefined {
  const script = enabled ? autolockScript() : autolockOffScript();
  const autolock = new command.remote.Command(
    name,
    // stdout is the unlock key: out of the logs, secret in the state.
    { connection, ...scriptArgs(script), logging: "stderr", triggers: rerunOn },
    { additionalSecretOutputs: ["stdout"], ...opts },
  );
  return enabled ? pulumi.secret(autolock.stdout.apply(parseUnlockKey)) : undefined;
}
