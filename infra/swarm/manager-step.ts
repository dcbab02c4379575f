/**
 * ManagerStep: one swarm step run over SSH on whichever manager answers first. The building block
 * of every step that talks to the swarm (bootstrap, memberships, ready gate, token rotation,
 * autolock; registry and stack steps next), in place of a remote.Command bound to manager-0.
 *
 *   new ManagerStep(`${name}-deploy`, {
 *     description: "stack web (alice-stack-web)",
 *     managers: managerAddresses,          // floating IPs, tried in this order
 *     user: config.sshUser,
 *     privateKey: keys.sshPrivateKey,
 *     create: deployScript(...),           // a RemoteScript built from templates/
 *     delete: removeScript(...),
 *     triggers: [digest],                  // a change replaces the step (delete, then create)
 *   }, { parent: this, dependsOn: [readyGate] });
 *
 * Defaults: connect timeout 5 s per address; create/update keep trying for `reachTimeoutSeconds`
 * (default 300 s) and then fail, unless `whenUnreachable: "skip"`; delete gives unreachable
 * managers `deleteReachTimeoutSeconds` (default 20 s), then skips with a warning naming the step.
 * `stdout` is a secret when `secretStdout` is true. See manager-step-provider.ts for what each
 * operation does; under mocks this is a resource of type `pulumi-nodejs:dynamic:Resource`.
 */
import * as pulumi from "@pulumi/pulumi";
import { managerStepProvider, ManagerStepInputs } from "./manager-step-provider";
import type { RemoteScript } from "./remote-scripts";
import { HostKeys, pinsOf } from "./host-key-check";

/** How long one SSH connection attempt to one manager address may take. */
export const CONNECT_TIMEOUT_SECONDS = 5;
/** How long delete (and refresh) give unreachable managers before they skip the step. */
export const DELETE_REACH_TIMEOUT_SECONDS = 20;
/** How long create/update keep trying to reach a manager, unless the caller says otherwise. */
export const REACH_TIMEOUT_SECONDS = 300;

export interface ManagerStepArgs {
  /** For messages: what the step does, e.g. "ready gate". The resource name is added. */
  description: string;
  /** Addresses this machine reaches the managers at (floating IPs), tried in this order. */
  managers: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The managers' pinned host keys by address (HostKeyPin, host-key-pin.ts); only the pins of
   * `managers` are registered. A manager without a pin is never tried; one whose key differs
   * fails the step before anything is sent.
   */
  hostKeys: pulumi.Input<HostKeys>;
  user: string;
  privateKey: pulumi.Input<string>;
  /** Runs on create; and on update when it changed, unless `update` is given. */
  create?: pulumi.Input<RemoteScript>;
  /** Runs on update when `create` or `update` changed. */
  update?: pulumi.Input<RemoteScript>;
  /** Runs on delete (and before a replacement, which deletes first). */
  delete?: pulumi.Input<RemoteScript>;
  /** Runs on refresh; its stdout replaces the stored one (re-reading facts, e.g. join tokens). */
  read?: pulumi.Input<RemoteScript>;
  /** stdout carries a secret (join tokens, unlock key): secret output, never quoted. */
  secretStdout?: boolean;
  /**
   * Secret lines (bash assignments, e.g. registry credentials) fed to every script before its
   * stdin, so the script's own text stays a plain input that `pulumi preview --diff` shows. A
   * change runs the script again.
   */
  secretStdin?: pulumi.Input<string>;
  /** Values whose change replaces the step (delete, then create). */
  triggers?: pulumi.Input<unknown>[];
  /** create/update: how long to keep trying to reach some manager. Default 300. */
  reachTimeoutSeconds?: number;
  /** delete/refresh: how long unreachable managers may take before the skip. Default 20. */
  deleteReachTimeoutSeconds?: number;
  /** How long the script may run. Default: reachTimeoutSeconds + 300. */
  scriptTimeoutSeconds?: number;
  /** create/update with no manager answering: "fail" (default) or "skip" with a warning. */
  whenUnreachable?: "fail" | "skip";
}

/**
 * The provider's inputs for `args`, defaults applied: what the program registers, and what the
 * system test hands the provider's functions (with plain values) to run them for real.
 */
export function managerStepInputs(
  name: string,
  args: ManagerStepArgs,
): Record<keyof ManagerStepInputs, unknown> {
  const reach = args.reachTimeoutSeconds ?? REACH_TIMEOUT_SECONDS;
  return {
    description: `${args.description} (${name})`,
    managers: args.managers,
    hostKeys: args.hostKeys,
    port: 22,
    user: args.user,
    privateKey: args.privateKey,
    create: args.create,
    update: args.update,
    delete: args.delete,
    read: args.read,
    secretStdout: args.secretStdout ?? false,
    secretStdin: args.secretStdin,
    triggers: args.triggers ?? [],
    reachTimeoutSeconds: reach,
    deleteReachTimeoutSeconds: args.deleteReachTimeoutSeconds ?? DELETE_REACH_TIMEOUT_SECONDS,
    connectTimeoutSeconds: CONNECT_TIMEOUT_SECONDS,
    scriptTimeoutSeconds: args.scriptTimeoutSeconds ?? reach + 300,
    whenUnreachable: args.whenUnreachable ?? "fail",
  };
}

export class ManagerStep extends pulumi.dynamic.Resource {
  /** The script's stdout (secret with `secretStdout`). */
  declare public readonly stdout: pulumi.Output<string>;
  declare public readonly stderr: pulumi.Output<string>;
  /** The manager address the script ran on; empty when none answered. */
  declare public readonly answeredBy: pulumi.Output<string>;
  /** True when no manager answered and the script was skipped. */
  declare public readonly skipped: pulumi.Output<boolean>;

  constructor(name: string, args: ManagerStepArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs: pulumi.Inputs = {
      ...managerStepInputs(name, args),
      // Only the pins of this step's managers: a re-pinned server elsewhere changes nothing here.
      hostKeys: pulumi
        .all([args.managers, args.hostKeys])
        .apply(([managers, hostKeys]) => pinsOf(hostKeys, managers)),
      privateKey: pulumi.secret(args.privateKey),
      secretStdin: args.secretStdin === undefined ? undefined : pulumi.secret(args.secretStdin),
      stdout: undefined,
      stderr: undefined,
      answeredBy: undefined,
      skipped: undefined,
    };
    const secrets = ["privateKey", ...(args.secretStdout ? ["stdout"] : [])];
    // delete returns what it did (for the system test); Pulumi ignores the value.
    super(managerStepProvider as unknown as pulumi.dynamic.ResourceProvider, name, inputs, {
      ...opts,
      additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...secrets],
    });
    if (args.secretStdout) {
      // Under mocks (and for Outputs read in this program) the engine applies no
      // additionalSecretOutputs: the program marks the secret itself.
      this.stdout = pulumi.secret(this.stdout);
    }
  }
}
