/**
 * Where a join token may be on a node: only in cloud-init's own copies of the instance metadata.
 * Everything else that is readable — config, logs, scripts, temp files, the journal — must not
 * hold it. The token is handed to grep on stdin, so the scan itself never puts it on a command line.
 */
import { execInNode } from "./docker";

/** The directories searched, as the design asks, plus /run where cloud-init keeps instance data. */
export const SEARCHED_DIRS = [
  "/etc",
  "/root",
  "/home",
  "/var/log",
  "/var/lib/cloud",
  "/tmp",
  "/var/tmp",
  "/run",
];

/**
 * cloud-init's metadata copies (22.4.2), the only files allowed to hold the token:
 * - the config drive itself (on OpenStack an ISO; here its seed directory),
 * - the pickled datasource of the instance (obj.pkl),
 * - instance-data.json / instance-data-sensitive.json, which `cloud-init query` reads.
 */
export const ALLOWED_TOKEN_PATHS: RegExp[] = [
  /^\/var\/lib\/cloud\/seed\/config_drive\/openstack\/latest\/meta_data\.json$/,
  /^\/var\/lib\/cloud\/instances\/[^/]+\/obj\.pkl$/,
  /^\/run\/cloud-init\/instance-data\.json$/,
  /^\/run\/cloud-init\/instance-data-sensitive\.json$/,
];

export interface TokenScan {
  /** Every file that holds the token. */
  files: string[];
  /** Files that hold it and are not cloud-init metadata copies: must be empty. */
  leakedFiles: string[];
  /** Journal lines that hold it: must be 0. */
  journalLines: number;
}

export async function scanNodeForToken(node: string, token: string): Promise<TokenScan> {
  // -F fixed string, -r recursive (skips devices, FIFOs and sockets), -l names only; -f - reads
  // the pattern from stdin. Docker's network namespace handles under /run/docker/netns are nsfs
  // files that cannot be read (EINVAL), hence the one exclusion. grep exits 1 when nothing
  // matched: the expected outcome. Any other error fails the scan rather than hiding a file.
  const grep = await execInNode(
    node,
    `grep -rlF --exclude-dir=netns -f - ${SEARCHED_DIRS.join(" ")} || [ $? -eq 1 ]`,
    { input: `${token}\n` },
  );
  if (grep.exitCode !== 0) throw new Error(`token scan on ${node} failed: ${grep.stderr}`);
  // Here stdin of grep is the journal, so the token goes through a process substitution.
  const journal = await execInNode(
    node,
    `IFS= read -r token; journalctl --no-pager -o cat | grep -cF -f <(printf '%s\\n' "$token") || [ $? -eq 1 ]`,
    { input: `${token}\n` },
  );
  if (journal.exitCode !== 0) throw new Error(`journal scan on ${node} failed: ${journal.stderr}`);
  const files = grep.stdout.split("\n").filter(Boolean);
  return {
    files,
    leakedFiles: files.filter((file) => !ALLOWED_TOKEN_PATHS.some((allowed) => allowed.test(file))),
    journalLines: Number(journal.stdout.trim() || "0"),
  };
}
