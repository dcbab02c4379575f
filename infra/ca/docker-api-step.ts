/**
 * The Docker API step on one manager: over SSH to that manager, installs its server certificate
 * and turns on mutual TLS on 2376 (docker-api.ts). Runs after the ready gate; re-runs when the
 * certificate or the CA changes (its stdin changes), and on a new server.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { RemoteScript } from "../swarm/remote-scripts";
import type { KeyPair } from "./ca";
import { dockerApiTlsScript } from "./docker-api";

/**
 * The one remote step, kept in this function so its transport (SSH to the manager today) can be
 * switched without touching its callers.
 */
export function dockerApiTlsCommand(
  name: string,
  connection: command.types.input.remote.ConnectionArgs,
  script: pulumi.Output<RemoteScript>,
  rerunOn: pulumi.Input<unknown>[],
  opts: pulumi.CustomResourceOptions,
): command.remote.Command {
  return new command.remote.Command(
    name,
    {
      connection,
      // The command line holds only the deadline (docker-api.ts).
      create: pulumi.unsecret(script.apply((s) => s.command)),
      // stdin carries the manager's private key: secret in the state.
      stdin: pulumi.secret(script.apply((s) => s.stdin)),
      triggers: rerunOn,
    },
    opts,
  );
}

export interface DockerApiTlsArgs {
  connection: command.types.input.remote.ConnectionArgs;
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
): command.remote.Command {
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
  return dockerApiTlsCommand(name, args.connection, script, [args.instanceId], opts);
}
