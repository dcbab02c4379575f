/**
 * What the stacks need of the cluster's registry (infra/registry/, the lab CA issue): where it
 * answers, how to log in, and the resources after which it answers over TLS. Every node trusts
 * its CA already (/etc/docker/certs.d), so pushing and pulling need no more than a login.
 */
import type * as pulumi from "@pulumi/pulumi";

export interface RegistryEndpoint {
  /** host:port the nodes push to and pull from, e.g. "10.42.0.10:5000". */
  address: pulumi.Input<string>;
  user: pulumi.Input<string>;
  /** Secret. */
  password: pulumi.Input<string>;
  /** PEM of the lab CA that signed the registry's certificate. */
  caCertificate: pulumi.Input<string>;
  /** After these, the registry answers over TLS with auth (`GET /v2/` 401, then 200). */
  ready: pulumi.Resource[];
}
