/**
 * HostKeyPin: a manager's SSH host key, pinned in the state at first contact and bound to the
 * server's id (host-key-pin-provider.ts). Every ManagerStep verifies the key against it before it
 * authenticates or sends anything (manager-step-provider.ts), so the pin must exist before any
 * step talks to that manager:
 *
 *   const pin = new HostKeyPin(`${name}-manager-0-host-key`, {
 *     server: "alice-manager-0", serverId: server.id, address: floatingIp,
 *   }, { parent: this, dependsOn: [association, ...sshRules] });
 *   access.hostKeys = { [floatingIp]: pin.pinned }
 *
 * A replaced server (new id) is pinned anew; a second `up` changes nothing. Under mocks this is a
 * resource of type `pulumi-nodejs:dynamic:Resource`, like ManagerStep.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PinnedHostKey } from "./host-key-check";
import { hostKeyPinProvider, HostKeyPinInputs } from "./host-key-pin-provider";

/** One connection attempt while waiting for the server's sshd. */
const PIN_CONNECT_TIMEOUT_SECONDS = 5;

export interface HostKeyPinArgs {
  server: string;
  serverId: pulumi.Input<string>;
  address: pulumi.Input<string>;
  /** How long a fresh server may take until its sshd answers (the boot deadline). */
  reachTimeoutSeconds: number;
}

/** The provider's inputs for `args` (defaults applied), as the program registers them. */
export function hostKeyPinInputs(args: HostKeyPinArgs): Record<keyof HostKeyPinInputs, unknown> {
  return {
    server: args.server,
    serverId: args.serverId,
    address: args.address,
    port: 22,
    reachTimeoutSeconds: args.reachTimeoutSeconds,
    connectTimeoutSeconds: PIN_CONNECT_TIMEOUT_SECONDS,
  };
}

export class HostKeyPin extends pulumi.dynamic.Resource {
  /** `SHA256:<base64>` of the server's ed25519 host key. */
  declare public readonly fingerprint: pulumi.Output<string>;
  /** Where this machine reaches the server (the input, known as soon as the address is). */
  public readonly pinnedAt: pulumi.Output<string>;
  /** What a ManagerStep's `hostKeys` holds for this server. */
  public readonly pinned: pulumi.Output<PinnedHostKey>;

  constructor(name: string, args: HostKeyPinArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      hostKeyPinProvider as unknown as pulumi.dynamic.ResourceProvider,
      name,
      { ...hostKeyPinInputs(args), fingerprint: undefined },
      opts,
    );
    this.pinnedAt = pulumi.output(args.address);
    this.pinned = pulumi
      .all([this.fingerprint, this.urn])
      .apply(([fingerprint, urn]) => ({ server: args.server, fingerprint, pin: urn }));
  }
}

/** Manager address -> pin, for the pins given (in their order). */
export function hostKeysOf(pins: HostKeyPin[]): pulumi.Output<Record<string, PinnedHostKey>> {
  return pulumi
    .all(pins.map((pin) => pulumi.all([pin.pinnedAt, pin.pinned])))
    .apply((entries) => Object.fromEntries(entries));
}
