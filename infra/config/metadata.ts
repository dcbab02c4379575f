/**
 * Instance metadata: the per-node facts that reach a node through nova metadata (the metadata
 * service or the config drive, both read on the node with `cloud-init query ds.meta_data.meta.<key>`).
 *
 * User-data is the same for every node of a stack; everything that differs between nodes, or that
 * is only known after other resources exist (the join token above all), travels here instead. That
 * keeps the token out of user-data and lets metadata change in place without replacing a server.
 */

/** The metadata keys the node-side scripts read. Values are strings of at most 255 characters. */
export const MetaKey = {
  /** `manager` or `worker`: the swarm role this node takes. */
  role: "swarm_role",
  /** `true` on manager-0 only: this node initialises the swarm instead of joining it. */
  init: "swarm_init",
  /** This node's private address, used as the swarm advertise and data-path address. */
  advertiseAddr: "swarm_advertise_addr",
  /** `<manager-0 private address>:2377`, on every node but manager-0. */
  joinAddr: "swarm_join_addr",
  /** The join token for this node's role (a Pulumi secret), on every node but manager-0. */
  token: "swarm_token",
  /** The Cinder volume id of this node's Docker volume, when the stack has one. */
  dockerVolume: "docker_volume",
  /** The stack owner (student): names, tags, and the swarm node label. */
  owner: "owner",
  /** Space-separated `<host>:5000` addresses of the registry: the node trusts the CA for each. */
  registryEndpoints: "registry_endpoints",
  /**
   * Prefix of the lab CA certificate's chunks (`registry_ca_0`, `registry_ca_1`, ...): the
   * base64 body of the PEM, cut to nova's 255 characters a value. Public, never a private key.
   */
  registryCaChunk: "registry_ca_",
} as const;

export type SwarmRole = "manager" | "worker";

/** Nova limits every metadata value to 255 characters. */
export const MAX_METADATA_VALUE_LENGTH = 255;

export interface NodeMetadataArgs {
  owner: string;
  role: SwarmRole;
  /** True for manager-0, which runs `docker swarm init`. */
  init: boolean;
  advertiseAddr: string;
  /** Absent on manager-0. */
  join?: { addr: string; token: string };
  /** Cinder volume id of the node's Docker volume, when it has one. */
  dockerVolumeId?: string;
  /** The lab CA (public certificate) and the registry's endpoints, trusted at boot. */
  registryTrust?: RegistryTrust;
}

export interface RegistryTrust {
  /** PEM of the lab CA certificate. */
  caCertificate: string;
  /** `<host>:<port>` addresses of the registry. */
  endpoints: string[];
}

const PEM_CERTIFICATE =
  /^-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE-----\r?\n?$/;
/** More chunks than a CA certificate of a few KB needs; nova allows 128 items in all. */
const MAX_CA_CHUNKS = 16;

/**
 * The CA certificate as metadata values: its base64 body without armour or line breaks, in
 * chunks of at most 255 characters. The node rebuilds the PEM (templates/registry-trust.sh).
 */
export function caCertificateChunks(pem: string): string[] {
  const match = PEM_CERTIFICATE.exec(pem.trim() + "\n");
  if (!match) throw new Error("the registry CA is not one PEM certificate");
  const body = match[1].replace(/\s+/g, "");
  const chunks: string[] = [];
  for (let i = 0; i < body.length; i += MAX_METADATA_VALUE_LENGTH) {
    chunks.push(body.slice(i, i + MAX_METADATA_VALUE_LENGTH));
  }
  if (chunks.length > MAX_CA_CHUNKS) {
    throw new Error(
      `the registry CA needs ${chunks.length} metadata values; at most ${MAX_CA_CHUNKS} are used`,
    );
  }
  return chunks;
}

function registryTrustMetadata(trust: RegistryTrust): Record<string, string> {
  const meta: Record<string, string> = {
    [MetaKey.registryEndpoints]: trust.endpoints.join(" "),
  };
  caCertificateChunks(trust.caCertificate).forEach((chunk, index) => {
    meta[`${MetaKey.registryCaChunk}${index}`] = chunk;
  });
  return meta;
}

/** Builds the metadata map of one node. Pure; the Pulumi program applies it over Outputs. */
export function nodeMetadata(args: NodeMetadataArgs): Record<string, string> {
  const meta: Record<string, string> = {
    [MetaKey.owner]: args.owner,
    [MetaKey.role]: args.role,
    [MetaKey.init]: args.init ? "true" : "false",
    [MetaKey.advertiseAddr]: args.advertiseAddr,
  };
  if (args.join) {
    meta[MetaKey.joinAddr] = args.join.addr;
    meta[MetaKey.token] = args.join.token;
  }
  if (args.dockerVolumeId) meta[MetaKey.dockerVolume] = args.dockerVolumeId;
  if (args.registryTrust) Object.assign(meta, registryTrustMetadata(args.registryTrust));
  for (const [key, value] of Object.entries(meta)) {
    if (value.length > MAX_METADATA_VALUE_LENGTH) {
      throw new Error(
        `metadata ${key} is ${value.length} characters; nova accepts at most ${MAX_METADATA_VALUE_LENGTH}`,
      );
    }
  }
  return meta;
}
