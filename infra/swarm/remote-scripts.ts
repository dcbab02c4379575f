/**
 * Scripts run over SSH on a manager, by the Pulumi program (ManagerStep) and by the system test
 * (ssh2) alike: both take the command and stdin from these builders, so there is one copy.
 *
 * Each script is templates/lib.sh followed by templates/swarm-*.sh, fed to `bash -s -- ARGS` on
 * stdin: it needs nothing on the node beyond bash, sudo and docker, even before cloud-init has
 * written the helpers to /usr/local/lib/swarmlab.
 */
import { SwarmRole } from "../config/metadata";
import { templateFile } from "../nodes/templates";

/** Run as: SSH exec `command`, write `stdin`, close stdin. */
export interface RemoteScript {
  command: string;
  stdin: string;
}

/** What manager-0's bootstrap prints: the join tokens (secrets) and the address to join. */
export interface JoinTokens {
  worker: string;
  manager: string;
  /** `<manager-0 private address>:2377`. */
  joinAddr: string;
}

/** One node of `docker node ls`, as the ready gate reports it. */
export interface SwarmNodeStatus {
  name: string;
  role: SwarmRole;
  /** `Ready`, `Down`, `Unknown`... */
  state: string;
  /** `Active`, `Pause` or `Drain`. */
  availability: string;
  /** `Leader`, `Reachable` or `Unreachable` for managers, empty for workers. */
  managerStatus: string;
}

const SAFE_ARGUMENT = /^[A-Za-z0-9_.:/=@%+-]+$/;
const NODE_NAME = /^[a-z0-9][a-z0-9-]*$/;
const ADDRESS = /^[0-9A-Fa-f.:]+$/;

/** Quotes one argument for a POSIX shell; plain words stay as they are, for readable commands. */
export function shellQuote(argument: string): string {
  if (SAFE_ARGUMENT.test(argument)) return argument;
  return `'${argument.replace(/'/g, `'\\''`)}'`;
}

/** templates/lib.sh + templates/<template>, run as `bash -s -- ARGS`. */
export function remoteScript(template: string, args: string[]): RemoteScript {
  const command = ["bash", "-s", "--", ...args].map(shellQuote).join(" ");
  return { command, stdin: `${templateFile("lib.sh")}\n${templateFile(template)}` };
}

const FILE_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * remoteScript with files for the script (certificates, keys, compose text) on its stdin: each
 * becomes a variable `SWARMLAB_FILE_<name>` holding the file's base64, set between lib.sh and the
 * template, so no file content is ever on a command line. Stdin holding a key is a secret input.
 */
export function remoteScriptWithFiles(
  template: string,
  args: string[],
  files: Record<string, string>,
): RemoteScript {
  const script = remoteScript(template, args);
  const assignments = Object.entries(files).map(([name, content]) => {
    if (!FILE_NAME.test(name))
      throw new Error(`file name ${JSON.stringify(name)} must match ${FILE_NAME}`);
    return `SWARMLAB_FILE_${name}='${Buffer.from(content, "utf8").toString("base64")}'`;
  });
  const [lib, body] = [templateFile("lib.sh"), templateFile(template)];
  return { command: script.command, stdin: `${lib}\n${assignments.join("\n")}\n${body}` };
}

/** A script's deadline argument: a positive whole number of seconds, as text. */
export function checkTimeout(timeoutSeconds: number): string {
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new Error(`timeout must be a positive whole number of seconds, got ${timeoutSeconds}`);
  }
  return String(timeoutSeconds);
}

function checkNode(name: string, role: SwarmRole): void {
  if (!NODE_NAME.test(name)) {
    throw new Error(`node name ${JSON.stringify(name)} must match ${NODE_NAME}`);
  }
  if (role !== "manager" && role !== "worker") {
    throw new Error(`node role ${JSON.stringify(role)} must be "manager" or "worker"`);
  }
}

/** Waits for cloud-init and the swarm on manager-0, prints the join tokens as one JSON line. */
export function bootstrapScript(timeoutSeconds: number): RemoteScript {
  return remoteScript("swarm-bootstrap.sh", [checkTimeout(timeoutSeconds)]);
}

/** A node the ready gate expects, at the private address its port fixes. */
export interface ExpectedNode {
  name: string;
  role: SwarmRole;
  address: string;
}

/** A node of the previous deployment that this update removes, at its known address. */
export interface LeavingNode {
  name: string;
  address: string;
}

function checkAddress(address: string): string {
  if (!ADDRESS.test(address)) {
    throw new Error(`node address ${JSON.stringify(address)} is not an IP address`);
  }
  return address;
}

/**
 * Waits until the swarm holds exactly `expected`, Ready, with their roles and at their addresses;
 * prints them as JSON. `leaving` nodes (removed by this update, drained and removed right after
 * the gate) are let be when they are at their known address; any other node fails the gate.
 * With `owner`, Down entries named `<owner>-...` that are no longer expected (a node lost or
 * removed while no manager answered) and the stale records of a re-created node, whatever their
 * state (still Ready, Unknown or Down), are removed from the swarm before the gate passes; other
 * nodes are only reported.
 */
export function readyGateScript(
  expected: ExpectedNode[],
  timeoutSeconds: number,
  leaving: LeavingNode[] = [],
  owner?: string,
): RemoteScript {
  if (expected.length === 0) throw new Error("the ready gate needs at least one expected node");
  for (const node of expected) checkNode(node.name, node.role);
  for (const node of leaving) checkNode(node.name, "worker");
  const ownerArgs = owner === undefined ? [] : ["--remove-down", `${checkOwner(owner)}-`];
  const leavingArgs = leaving.flatMap((node) => [
    "--leaving",
    `${node.name}:${checkAddress(node.address)}`,
  ]);
  const specs = expected.map((node) => `${node.name}:${node.role}:${checkAddress(node.address)}`);
  return remoteScript("swarm-ready.sh", [
    checkTimeout(timeoutSeconds),
    ...ownerArgs,
    ...leavingArgs,
    ...specs,
  ]);
}

function checkOwner(owner: string): string {
  if (!NODE_NAME.test(owner)) {
    throw new Error(`owner ${JSON.stringify(owner)} must match ${NODE_NAME}`);
  }
  return owner;
}

/** Demotes, drains and removes node `name` from the swarm before its VM is deleted. */
export function removeNodeScript(
  name: string,
  role: SwarmRole,
  timeoutSeconds: number,
): RemoteScript {
  checkNode(name, role);
  return remoteScript("swarm-remove-node.sh", [checkTimeout(timeoutSeconds), name, role]);
}

/** Rotates the worker and manager join tokens; prints nothing. */
export function rotateTokensScript(): RemoteScript {
  return remoteScript("swarm-rotate-tokens.sh", []);
}

/** Turns on swarm autolock; prints the unlock key (a secret) as the last line. */
export function autolockScript(): RemoteScript {
  return remoteScript("swarm-autolock.sh", []);
}

/** Turns swarm autolock off; prints nothing. */
export function autolockOffScript(): RemoteScript {
  return remoteScript("swarm-autolock-off.sh", []);
}

/** The last non-empty line: the scripts print their result last, alone on its line. */
function lastLine(stdout: string): string {
  const lines = stdout.split("\n").map((line) => line.trim());
  return lines.filter((line) => line.length > 0).pop() ?? "";
}

const JOIN_TOKEN = /^SWMTKN-1-[A-Za-z0-9]+-[A-Za-z0-9]+$/;
const JOIN_ADDR = /^[A-Za-z0-9.:[\]-]+:[0-9]{1,5}$/;

/**
 * The join tokens from the bootstrap script's stdout. Error messages never quote the output: it
 * holds the tokens.
 */
export function parseJoinTokens(stdout: string): JoinTokens {
  const withheld = "(output withheld: it carries join tokens)";
  let parsed: unknown;
  try {
    parsed = JSON.parse(lastLine(stdout));
  } catch {
    throw new Error(
      `swarm bootstrap did not print the expected JSON line {"worker","manager","joinAddr"} ${withheld}; see its stderr`,
    );
  }
  const value = (parsed ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of ["worker", "manager"]) {
    if (typeof value[key] !== "string" || !JOIN_TOKEN.test(value[key] as string)) {
      problems.push(`"${key}" is not a swarm join token (SWMTKN-1-...)`);
    }
  }
  if (typeof value.joinAddr !== "string" || !JOIN_ADDR.test(value.joinAddr)) {
    problems.push(`"joinAddr" is not an address:port`);
  }
  if (problems.length > 0) {
    throw new Error(`swarm bootstrap output is invalid: ${problems.join("; ")} ${withheld}`);
  }
  return {
    worker: value.worker as string,
    manager: value.manager as string,
    joinAddr: value.joinAddr as string,
  };
}

/** The node list printed by the ready gate. */
export function parseSwarmNodes(stdout: string): SwarmNodeStatus[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(lastLine(stdout));
  } catch {
    throw new Error(
      `swarm ready gate did not print a JSON array of nodes; got ${JSON.stringify(stdout.slice(0, 200))}`,
    );
  }
  if (!Array.isArray(parsed)) throw new Error("swarm ready gate output is not a JSON array");
  return parsed.map((item: unknown, index: number) => {
    const node = (item ?? {}) as Record<string, unknown>;
    for (const key of ["name", "role", "state", "availability", "managerStatus"]) {
      if (typeof node[key] !== "string") {
        throw new Error(`swarm ready gate output: node ${index} has no string "${key}"`);
      }
    }
    if (node.role !== "manager" && node.role !== "worker") {
      throw new Error(
        `swarm ready gate output: node ${index} has role ${JSON.stringify(node.role)}`,
      );
    }
    return {
      name: node.name as string,
      role: node.role,
      state: node.state as string,
      availability: node.availability as string,
      managerStatus: node.managerStatus as string,
    };
  });
}

const UNLOCK_KEY = /^SWMKEY-1-[A-Za-z0-9+/=]+$/;

/** The unlock key printed by autolockScript. The error never quotes the output: it is the key. */
export function parseUnlockKey(stdout: string): string {
  const key = lastLine(stdout);
  if (!UNLOCK_KEY.test(key)) {
    throw new Error("swarm autolock did not print an unlock key (SWMKEY-1-...); see its stderr");
  }
  return key;
}
