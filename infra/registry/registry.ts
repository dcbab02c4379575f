/**
 * The lab registry: a generated password (@pulumi/random, secret; its bcrypt hash makes the
 * htpasswd file) and the deploy step on manager-0, which deploys templates/registry-compose.yaml
 * as a swarm stack and waits until it answers over TLS with auth. After the ready gate, and after
 * the Docker API step on manager-0 (that one restarts dockerd).
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { RegistryHost, registryEndpoints, REGISTRY_PORT } from "../config/registry-address";
import type { KeyPair } from "../ca/ca";
import { ManagerStep } from "../swarm/manager-step";
import type { RemoteScript } from "../swarm/remote-scripts";
import type { ManagerAccess } from "../swarm/swarm";
import { htpasswdFile, registryDeployScript } from "./registry-files";

/** The registry's one user. */
export const REGISTRY_USER = "swarmlab";

export interface LabRegistryArgs {
  /** Every manager, in fallback order: the deploy runs on whichever answers (the swarm places
   * the registry on manager-0 whatever manager deploys it). */
  access: ManagerAccess;
  /** swarmlab:registryImage */
  image: string;
  /** manager-0's node name: the registry stays there. */
  node: string;
  host: pulumi.Input<RegistryHost>;
  caCertificate: pulumi.Input<string>;
  certificate: KeyPair;
  timeoutSeconds: number;
  /**
   * The port this machine reaches the registry at on the public address, when it is not the
   * registry's own 5000: the local cloud's published port (swarmlab:localPortOffset).
   */
  publicPort?: number;
  /** The ready gate and the Docker API step on manager-0. */
  waitFor: pulumi.Resource[];
}

/** The one remote step of the registry: deploy and wait, on the first manager that answers. */
export function registryDeployCommand(
  name: string,
  access: ManagerAccess,
  script: pulumi.Output<RemoteScript>,
  timeoutSeconds: number,
  opts: pulumi.CustomResourceOptions,
): ManagerStep {
  return new ManagerStep(
    name,
    {
      description: "registry deploy and TLS check",
      ...access,
      // stdin carries the registry's key and password: the whole script is secret in the state.
      create: pulumi.secret(script),
      scriptTimeoutSeconds: timeoutSeconds + 60,
    },
    opts,
  );
}

export class LabRegistry extends pulumi.ComponentResource {
  /** `<floating IP>:5000` (`127.0.0.1:<published port>` locally): what the laptop pushes to. */
  public readonly address: pulumi.Output<string>;
  /** `<manager-0 private address>:5000`: what the nodes and stacks' image names use. */
  public readonly internalAddress: pulumi.Output<string>;
  public readonly user: string;
  public readonly password: pulumi.Output<string>;

  constructor(name: string, args: LabRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:registry:LabRegistry", name, {}, opts);
    const password = new random.RandomPassword(
      `${name}-password`,
      // Letters and digits only: it goes into htpasswd, curl's config and `docker login` as is.
      { length: 32, special: false },
      { parent: this },
    );
    this.password = pulumi.secret(password.result);
    const host = pulumi.output(args.host);
    const script = pulumi
      .all([
        host,
        args.caCertificate,
        args.certificate.certificate,
        args.certificate.privateKey,
        this.password,
        password.bcryptHash,
      ])
      .apply(([h, ca, certificate, privateKey, pass, hash]) =>
        registryDeployScript({
          image: args.image,
          node: args.node,
          certificate,
          privateKey,
          htpasswd: htpasswdFile(REGISTRY_USER, hash),
          endpoint: registryEndpoints(h)[0],
          user: REGISTRY_USER,
          password: pass,
          caCertificate: ca,
          timeoutSeconds: args.timeoutSeconds,
        }),
      );
    registryDeployCommand(`${name}-deploy`, args.access, script, args.timeoutSeconds, {
      parent: this,
      dependsOn: args.waitFor,
    });
    this.user = REGISTRY_USER;
    this.internalAddress = host.apply((h) => `${h.privateIp}:${REGISTRY_PORT}`);
    // The nodes' trust and the certificate do not depend on this port: SANs name hosts only,
    // and the nodes pull at the private address (a repository is the same whichever name).
    this.address = host.apply((h) =>
      h.publicIp === undefined
        ? `${h.privateIp}:${REGISTRY_PORT}`
        : `${h.publicIp}:${args.publicPort ?? REGISTRY_PORT}`,
    );
    this.registerOutputs({ address: this.address, internalAddress: this.internalAddress });
  }
}
