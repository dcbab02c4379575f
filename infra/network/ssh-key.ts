/**
 * Keys made by the program: the cluster's SSH key, imported into Nova as a keypair. The private
 * key never leaves Pulumi state except as a secret output. (The registry and Docker API
 * certificates of later issues belong here too.)
 */
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export interface LabKeysArgs {
  owner: string;
  /** Import the public key into Nova as a keypair. Default true; the local cloud has no Nova. */
  novaKeypair?: boolean;
}

export class LabKeys extends pulumi.ComponentResource {
  /** OpenSSH private key (secret) for the nodes' login user. */
  public readonly sshPrivateKey: pulumi.Output<string>;
  public readonly sshPublicKey: pulumi.Output<string>;
  /** Name of the Nova keypair holding the public key (undefined without Nova). */
  public readonly keypairName: pulumi.Output<string> | undefined;

  constructor(name: string, args: LabKeysArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:pki:LabKeys", name, {}, opts);

    // RSA rather than ed25519: every Nova release and every cloud image accepts it.
    const sshKey = new tls.PrivateKey(
      `${name}-ssh`,
      { algorithm: "RSA", rsaBits: 4096 },
      { parent: this, additionalSecretOutputs: ["privateKeyOpenssh", "privateKeyPem"] },
    );
    const keypair =
      args.novaKeypair === false
        ? undefined
        : new openstack.compute.Keypair(
            `${name}-keypair`,
            { name: `${args.owner}-swarmlab`, publicKey: sshKey.publicKeyOpenssh },
            { parent: this },
          );

    this.sshPrivateKey = pulumi.secret(sshKey.privateKeyOpenssh);
    this.sshPublicKey = sshKey.publicKeyOpenssh;
    this.keypairName = keypair?.name;
    this.registerOutputs({ sshPublicKey: this.sshPublicKey, keypairName: this.keypairName });
  }
}
