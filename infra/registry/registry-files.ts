/**
 * What the registry step sends to manager-0: the compose text of templates/registry-compose.yaml
 * filled in, the htpasswd file, and the deploy script with its files. Pure builders; the system
 * test deploys the registry with exactly these.
 */
import { createHash } from "crypto";
import { REGISTRY_PORT } from "../config/registry-address";
import { templateFile } from "../nodes/templates";
import { RemoteScript, remoteScriptWithFiles } from "../swarm/remote-scripts";

/** The swarm stack and its one service. */
export const REGISTRY_STACK = "swarmlab-registry";
export const REGISTRY_SERVICE = `${REGISTRY_STACK}_registry`;
/** The config key a student changes when the registry image cannot be pulled. */
export const REGISTRY_IMAGE_KEY = "swarmlab:registryImage";

const USER = /^[a-z][a-z0-9_-]{0,31}$/;
const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;
const NODE = /^[a-z0-9][a-z0-9-]*$/;

/** One htpasswd line (bcrypt, the only scheme the registry accepts). */
export function htpasswdFile(user: string, bcryptHash: string): string {
  if (!USER.test(user)) throw new Error(`registry user ${JSON.stringify(user)} must match ${USER}`);
  if (!BCRYPT.test(bcryptHash)) throw new Error("the registry password hash is not a bcrypt hash");
  return `${user}:${bcryptHash}\n`;
}

/** Short content hash: a swarm secret cannot change, so new content gets a new name. */
function contentName(prefix: string, content: string): string {
  return `${prefix}-${createHash("sha256").update(content).digest("hex").slice(0, 12)}`;
}

export interface RegistryComposeArgs {
  /** swarmlab:registryImage */
  image: string;
  /** The node the registry and its volume stay on (manager-0). */
  node: string;
  certificate: string;
  privateKey: string;
  htpasswd: string;
}

/** The compose file of the registry stack, every {{field}} filled. */
export function registryCompose(args: RegistryComposeArgs): string {
  if (!IMAGE.test(args.image)) {
    throw new Error(`${REGISTRY_IMAGE_KEY} ${JSON.stringify(args.image)} is not an image name`);
  }
  if (!NODE.test(args.node)) throw new Error(`node name ${JSON.stringify(args.node)} is invalid`);
  const fields: Record<string, string> = {
    image: args.image,
    node: args.node,
    crt_secret: contentName("swarmlab-registry-crt", args.certificate),
    key_secret: contentName("swarmlab-registry-key", args.privateKey),
    htpasswd_secret: contentName("swarmlab-registry-htpasswd", args.htpasswd),
  };
  const text = templateFile("registry-compose.yaml").replace(
    /\{\{(\w+)\}\}/g,
    (_, field: string) => {
      if (!Object.hasOwn(fields, field))
        throw new Error(`registry-compose.yaml has no field ${field}`);
      return fields[field];
    },
  );
  return text;
}

export interface RegistryDeployArgs extends RegistryComposeArgs {
  /** `<manager-0 private address>:5000`: where the readiness wait probes. */
  endpoint: string;
  user: string;
  password: string;
  caCertificate: string;
  timeoutSeconds: number;
}

/**
 * Deploys the registry stack on manager-0 and waits until `GET /v2/` over TLS (verified against
 * the lab CA, for `endpoint`) answers 401 without and 200 with the credentials. On the deadline
 * it says which step failed and quotes the service's task errors.
 */
export function registryDeployScript(args: RegistryDeployArgs): RemoteScript {
  if (!/^[0-9A-Za-z.-]+:\d+$/.test(args.endpoint)) {
    throw new Error(`registry endpoint ${JSON.stringify(args.endpoint)} is not <host>:<port>`);
  }
  if (!Number.isInteger(args.timeoutSeconds) || args.timeoutSeconds <= 0) {
    throw new Error(
      `timeout must be a positive whole number of seconds, got ${args.timeoutSeconds}`,
    );
  }
  return remoteScriptWithFiles(
    "registry-deploy.sh",
    [String(args.timeoutSeconds), args.endpoint, args.image],
    {
      compose: registryCompose(args),
      crt: args.certificate,
      key: args.privateKey,
      htpasswd: args.htpasswd,
      ca: args.caCertificate,
      // curl reads its credentials from this config file: never on a command line.
      curlrc: `user = "${args.user}:${args.password}"\n`,
    },
  );
}

export { REGISTRY_PORT };
