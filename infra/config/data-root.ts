/**
 * Docker's data root (`daemonConfig."data-root"`): the one rule both the validator and the
 * renderer apply, so a value that passes validation never fails later inside an apply (after the
 * network exists). The node's storage script mounts the Docker volume there and node.env carries
 * the path to bash, hence the narrow character set and the refusals below.
 */
import * as path from "node:path";

export const DEFAULT_DATA_ROOT = "/var/lib/docker";

/** Plain words only: node.env is sourced by bash and the path lands in /etc/fstab. */
const DATA_ROOT_CHARACTERS = /^\/[A-Za-z0-9._/-]*$/;

/**
 * Directories the volume must not be mounted on or under: mounting over them hides the system
 * (or, for `/`, the storage script would rewrite the root filesystem's fstab line).
 */
const SYSTEM_DIRECTORIES = [
  "/etc",
  "/usr",
  "/boot",
  "/proc",
  "/sys",
  "/run",
  "/dev",
  "/bin",
  "/sbin",
  "/lib",
  "/lib64",
];
/** Directories the volume must not replace, though paths below them are fine. */
const SYSTEM_PARENTS = ["/var", "/var/lib", "/home", "/root", "/tmp", "/srv", "/opt", "/mnt"];

/** Why `value` cannot be Docker's data root (a phrase for a message), or undefined when it can. */
export function dataRootProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || !DATA_ROOT_CHARACTERS.test(value)) {
    return "it must be an absolute path of letters, digits and . _ - / such as /srv/docker";
  }
  const normal = path.posix.normalize(value).replace(/(.)\/+$/, "$1");
  if (normal !== value) {
    return `it must be a normalised path (no //, . or .. parts, no trailing /): write ${normal}`;
  }
  if (value === "/") {
    return "it is the root filesystem; use a directory of its own such as /srv/docker";
  }
  const system = SYSTEM_DIRECTORIES.find((dir) => value === dir || value.startsWith(`${dir}/`));
  if (system !== undefined) {
    return `it is under ${system}, which belongs to the system; use a directory such as /srv/docker`;
  }
  if (SYSTEM_PARENTS.includes(value)) {
    return `the Docker volume would be mounted over all of ${value}; use a directory below it such as ${value}/docker`;
  }
  return undefined;
}
