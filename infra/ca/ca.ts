/**
 * The lab CA of one stack (@pulumi/tls): a self-signed CA, the registry's server certificate, a
 * Docker API server certificate per manager and the student's client certificate. Every private
 * key is a Pulumi secret; none goes into user-data or metadata (the managers get theirs over SSH,
 * the registry's is a swarm secret). SANs come from sans.ts.
 *
 * What rotates what: a server certificate is re-issued when its SANs change (a new floating IP)
 * or in its last 30 days at the next `pulumi up` (earlyRenewalHours); the registry and the API
 * steps then install the new one. Replacing the CA (`pulumi up --replace` of `<owner>-ca-key`)
 * re-issues everything, and every node's trust follows through its metadata at its next boot:
 * replace the servers too (or copy the new CA to /etc/docker/certs.d by hand).
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { RegistryHost } from "../config/registry-address";
import { dockerApiSans, registrySans, SanList } from "./sans";

/** Long enough for a course and its resits. */
const CA_VALIDITY_HOURS = 3 * 365 * 24;
const LEAF_VALIDITY_HOURS = 365 * 24;
/** A leaf certificate in its last 30 days is re-issued by the next `pulumi up`. */
const EARLY_RENEWAL_HOURS = 30 * 24;

const KEY = { algorithm: "ECDSA", ecdsaCurve: "P256" } as const;

export interface ManagerInput {
  name: string;
  privateIp: pulumi.Input<string>;
  publicIp?: pulumi.Input<string>;
}

/** A certificate and its key (secret). */
export interface KeyPair {
  certificate: pulumi.Output<string>;
  privateKey: pulumi.Output<string>;
}

/**
 * The CA itself is made first (the nodes' metadata carries its certificate); the leaf
 * certificates are issued once the addresses they name exist.
 */
export class LabCa extends pulumi.ComponentResource {
  /** PEM of the CA certificate (public). */
  public readonly caCertificate: pulumi.Output<string>;
  private readonly caKey: tls.PrivateKey;
  private readonly name: string;
  private readonly owner: string;

  constructor(name: string, owner: string, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:ca:LabCa", name, {}, opts);
    this.name = name;
    this.owner = owner;
    this.caKey = new tls.PrivateKey(`${name}-key`, KEY, { parent: this });
    const ca = new tls.SelfSignedCert(
      `${name}-cert`,
      {
        privateKeyPem: this.caKey.privateKeyPem,
        subject: this.subject(`swarmlab ${owner} lab CA`),
        isCaCertificate: true,
        validityPeriodHours: CA_VALIDITY_HOURS,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      },
      { parent: this },
    );
    this.caCertificate = ca.certPem;
    this.registerOutputs({ caCertificate: this.caCertificate });
  }

  /** The registry's server certificate, for manager-0's addresses (registrySans). */
  registry(host: pulumi.Input<RegistryHost>): KeyPair {
    return this.issue(
      "registry",
      `swarmlab ${this.owner} registry`,
      pulumi.output(host).apply(registrySans),
      "server_auth",
    );
  }

  /** A manager's Docker API server certificate (dockerApiSans). */
  dockerApi(manager: ManagerInput): KeyPair {
    const sans = pulumi
      .all([manager.privateIp, manager.publicIp])
      .apply(([privateIp, publicIp]) =>
        dockerApiSans({ name: manager.name, privateIp, ...(publicIp ? { publicIp } : {}) }),
      );
    return this.issue(`${manager.name}-api`, manager.name, sans, "server_auth");
  }

  /** The student's docker client certificate (mutual TLS to the Docker API). */
  client(): KeyPair {
    return this.issue("client", `${this.owner} (docker client)`, undefined, "client_auth");
  }

  private subject(commonName: string) {
    return { commonName, organization: `swarmlab ${this.owner}` };
  }

  private issue(
    role: string,
    commonName: string,
    sans: pulumi.Output<SanList> | undefined,
    usage: string,
  ): KeyPair {
    const child = { parent: this };
    const key = new tls.PrivateKey(`${this.name}-${role}-key`, KEY, child);
    const request = new tls.CertRequest(
      `${this.name}-${role}-csr`,
      {
        privateKeyPem: key.privateKeyPem,
        subject: this.subject(commonName),
        dnsNames: sans?.dnsNames,
        ipAddresses: sans?.ipAddresses,
      },
      child,
    );
    const cert = new tls.LocallySignedCert(
      `${this.name}-${role}-cert`,
      {
        certRequestPem: request.certRequestPem,
        caPrivateKeyPem: this.caKey.privateKeyPem,
        caCertPem: this.caCertificate,
        validityPeriodHours: LEAF_VALIDITY_HOURS,
        earlyRenewalHours: EARLY_RENEWAL_HOURS,
        allowedUses: ["digital_signature", "key_agreement", usage],
      },
      child,
    );
    return { certificate: cert.certPem, privateKey: pulumi.secret(key.privateKeyPem) };
  }
}
