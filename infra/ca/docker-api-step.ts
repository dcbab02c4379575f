/**
 * The Docker API step on one manager: over SSH to that manager, installs its server certificate
 * and turns on mutual TLS on 2376 (docker-api.ts). Runs after the ready gate; re-runs when the
 * certificate or the CA changes (its stdin changes), and on a new server.
 */
import * as pulumi from "@pulumi/pulumi";
import { ManagerStep } from "../swarm/manager-step";
import type { RemoteScript } from "../swarm/remote-scripts";
import type { ManagerAccess } from "../swarm/swarm";
import type { KeyPair } from "./ca";
import { dockerApiTlsScript } from "./docker-api";

/**
 * The one remote step, on the one manager whose certificate it installs (its access lists that
 * manager alone: another manager cannot set up this one's dockerd).
 */
export function dockerApiTlsCommand(
  name: string,
  access: ManagerAccess,
  script: pulumi.Output<RemoteScript>,
  rerunOn: pulumi.Input<unknown>[],
  opts: pulumi.CustomResourceOptions,
): ManagerStep {
  return new ManagerStep(
    name,
    {
      description: "Docker API over mutual TLS",
      ...access,
      // stdin carries the manager's private key: the whole script is secret in the state.
      create: pulumi.secret(script),
      triggers: rerunOn,
    },
    opts,
  );
}

export interface DockerApiTlsArgs {
  /** The one manager this step sets up. */
  access: ManagerAccess;
  caCertificate: pulumi.Input<string>;
  certificate: KeyPair;
  /** The manager's server id: a new server gets its certificate again. */
  instanceId: pulumi.Input<string>;
  timeoutSeconds: number;
}

export function dockerApiTls(
  name: string,
  args: DockerApiTlsArgs,
  opts: pulumi.CustomResourceOptions,
): ManagerStep {
  const script = pulumi
    .all([args.caCertificate, args.certificate.certificate, args.certificate.privateKey])
    .apply(([caCertificate, certificate, privateKey]) =>
      dockerApiTlsScript({
        caCertificate,
        certificate,
        privateKey,
        timeoutSeconds: args.timeoutSeconds,
      }),
    );
  return dockerApiTlsCommand(name, args.access, script, [args.instanceId], opts);
}
