/**
 * User-data of every node: a pure function of NodeSettings. The same for all nodes of a stack;
 * per-node facts (role, addresses, the join token) reach the node through instance metadata and
 * are read there by the scripts, so no metadata value is ever part of user-data.
 */
import YAML from "yaml";
import { renderDaemonJson } from "../config/daemon";
import { dataRootProblem, DEFAULT_DATA_ROOT } from "../config/data-root";
import { NodeSettings, overlayMtu } from "../config/settings";
import { gzipBase64 } from "./compress";
import { tar } from "./tar";
import { templateFile } from "./templates";

/**
 * Nova accepts user_data up to 65,535 bytes once base64-encoded: 16,383 groups of 4 characters,
 * each 3 raw bytes.
 */
export const USER_DATA_MAX_BYTES = Math.floor(65535 / 4) * 3;

/** Where the node scripts are installed; lib.sh is sourced from here by the others. */
export const NODE_SCRIPT_DIR = "/usr/local/lib/swarmlab";
export const NODE_ENV_PATH = "/etc/swarmlab/node.env";
export const DAEMON_JSON_PATH = "/etc/docker/daemon.json";
/** docker.service drop-in that re-applies the container firewall whenever dockerd starts. */
export const FIREWALL_DROPIN_PATH =
  "/etc/systemd/system/docker.service.d/swarmlab-container-firewall.conf";

/** Node scripts that no runcmd step runs: docker.service runs the firewall (and each step too). */
export const NODE_HELPERS = ["container-firewall.sh"] as const;

/** The node scripts, in the order runcmd runs them (lib.sh is only sourced). */
export const NODE_STEPS = [
  "storage-prepare.sh",
  "docker-install.sh",
  "registry-trust.sh",
  "swarm-up.sh",
] as const;

/**
 * Deadlines of the node-side waits, in seconds, derived from `bootTimeoutSeconds` (T, default
 * 900) so that one key bounds the node as well as `pulumi up`:
 * - volume: min(300, T): the Cinder volume is attached after the server is created, usually
 *   within a minute.
 * - dockerStart: min(180, T): dockerd answering after `systemctl enable --now docker`.
 * - swarmJoin: T: join metadata present and `docker swarm join` succeeding (manager-0 may boot
 *   late); as long as the ready gate waits for the node.
 * They run one after the other, with the package installation between them (bounded by apt,
 * not by swarmlab): a node gives up after at most min(300,T) + min(180,T) + T seconds of waiting.
 */
export function nodeDeadlines(bootTimeoutSeconds: number) {
  return {
    volume: Math.min(300, bootTimeoutSeconds),
    dockerStart: Math.min(180, bootTimeoutSeconds),
    swarmJoin: bootTimeoutSeconds,
  };
}

/**
 * Docker's data root: `data-root` from daemonConfig when set, so storage is prepared there.
 * Validation applied the same rule (dataRootProblem); this refuses what bypassed it.
 */
export function dockerDataRoot(settings: NodeSettings): string {
  const dataRoot = settings.daemonConfig["data-root"];
  if (dataRoot === undefined) return DEFAULT_DATA_ROOT;
  const problem = dataRootProblem(dataRoot);
  if (problem !== undefined) {
    throw new Error(`daemonConfig data-root is ${JSON.stringify(dataRoot)}: ${problem}`);
  }
  return dataRoot as string;
}

/** Variables of /etc/swarmlab/node.env, in file order. Values are plain words (no quoting). */
export function nodeEnv(settings: NodeSettings): Record<string, string> {
  const deadlines = nodeDeadlines(settings.bootTimeoutSeconds);
  return {
    OWNER: settings.owner,
    SSH_USER: settings.sshUser,
    DOCKER_SOURCE: settings.dockerSource,
    STORAGE_DRIVER: settings.storage.driver,
    VOLUME_FILESYSTEM: settings.storage.volumeFilesystem ?? "",
    DOCKER_DATA_ROOT: dockerDataRoot(settings),
    OVERLAY_MTU: String(overlayMtu(settings.mtu)),
    SWARM_ADDRESS_POOL: settings.swarmAddressPool,
    VOLUME_DEADLINE_SECONDS: String(deadlines.volume),
    DOCKER_START_DEADLINE_SECONDS: String(deadlines.dockerStart),
    SWARM_JOIN_DEADLINE_SECONDS: String(deadlines.swarmJoin),
  };
}

/** node.env is sourced by bash: refuse anything that is not a plain word rather than quote it. */
const PLAIN_ENV_VALUE = /^[A-Za-z0-9._/:-]*$/;

function renderNodeEnv(settings: NodeSettings): string {
  const lines = Object.entries(nodeEnv(settings)).map(([key, value]) => {
    if (!PLAIN_ENV_VALUE.test(value)) {
      throw new Error(
        `node setting ${key}=${JSON.stringify(value)} contains characters a node script cannot take safely`,
      );
    }
    return `${key}=${value}`;
  });
  return `# swarmlab node settings, written by cloud-init; read by ${NODE_SCRIPT_DIR}/*.sh\n${lines.join("\n")}\n`;
}

/**
 * The `encoding` of the large files: cloud-init 22.4 (Debian 12) and later gunzip it before
 * writing. Plain text stays for the small files a reader of the user-data looks for first
 * (node.env, the docker.service drop-in): compressing them would save next to nothing.
 */
export const COMPRESSED_ENCODING = "gz+b64";

/**
 * The node scripts travel as one gzipped tar (infra/nodes/tar.ts says why), written here by
 * write_files and unpacked into NODE_SCRIPT_DIR by the first command of runcmd.
 */
export const NODE_SCRIPTS_ARCHIVE = `${NODE_SCRIPT_DIR}/scripts.tar`;

/** Every script in the archive: lib.sh, the steps, the helpers. */
export const NODE_SCRIPTS = ["lib.sh", ...NODE_STEPS, ...NODE_HELPERS] as const;

export interface WriteFile {
  path: string;
  permissions: string;
  owner: string;
  encoding?: typeof COMPRESSED_ENCODING;
  content: string;
}

function writeFiles(settings: NodeSettings): WriteFile[] {
  const scripts = tar(
    NODE_SCRIPTS.map((name) => ({ name, mode: 0o755, content: templateFile(name) })),
  );
  return [
    {
      path: NODE_SCRIPTS_ARCHIVE,
      permissions: "0600",
      owner: "root:root",
      encoding: COMPRESSED_ENCODING,
      content: gzipBase64(scripts),
    },
    // In place before the package's postinst first starts dockerd, like daemon.json.
    {
      path: FIREWALL_DROPIN_PATH,
      permissions: "0644",
      owner: "root:root",
      content: templateFile("docker-container-firewall.conf"),
    },
    {
      path: NODE_ENV_PATH,
      permissions: "0644",
      owner: "root:root",
      content: renderNodeEnv(settings),
    },
    // In place before the package's postinst first starts dockerd. Compressed: a teacher's
    // daemonConfig may make it a few KB.
    {
      path: DAEMON_JSON_PATH,
      permissions: "0644",
      owner: "root:root",
      encoding: COMPRESSED_ENCODING,
      content: gzipBase64(renderDaemonJson(settings)),
    },
  ];
}

/**
 * One runcmd line chaining the steps with &&: runcmd's lines run under `sh` without `set -e`, so
 * separate lines would go on after a failure. The first failing step stops the chain, its error
 * stays in /var/log/cloud-init-output.log and cloud-init reports the node as failed. It starts by
 * unpacking the scripts (owner and modes from the archive; -m: the time of unpacking, not 1970).
 */
function runcmd(): string[] {
  const unpack = `tar -x -m -f ${NODE_SCRIPTS_ARCHIVE} -C ${NODE_SCRIPT_DIR}`;
  return [[unpack, ...NODE_STEPS.map((step) => `${NODE_SCRIPT_DIR}/${step}`)].join(" && ")];
}

/** The node's user-data (#cloud-config). Deterministic: same settings, same bytes. */
export function renderUserData(settings: NodeSettings): string {
  const base = YAML.parse(templateFile("cloud-config.yaml")) as Record<string, unknown>;
  const config = { ...base, write_files: writeFiles(settings), runcmd: runcmd() };
  const body = YAML.stringify(config, { lineWidth: 0, blockQuote: "literal" });
  const userData = `#cloud-config\n${body}`;
  const size = Buffer.byteLength(userData, "utf8");
  if (size > USER_DATA_MAX_BYTES) {
    // The scripts take a fixed third of the limit (test/unit/cloudinit.test.ts keeps the whole
    // at most half of it): what pushes it over is daemonConfig, the one part a teacher writes.
    throw new Error(
      `user-data is ${size} bytes, above nova's limit of ${USER_DATA_MAX_BYTES} (65,535 once base64-encoded); daemonConfig makes ${Buffer.byteLength(renderDaemonJson(settings))} bytes of daemon.json: shorten it`,
    );
  }
  return userData;
}
