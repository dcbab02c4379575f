/**
 * The dynamic provider behind ManagerStep (manager-step.ts): runs a RemoteScript over SSH on the
 * FIRST manager that answers, trying the managers in the order given, each with a short connect
 * timeout, pass after pass until a deadline. docs/design.md principle 9: any manager is a way in.
 *
 *   create   runs `create` (none: nothing runs); no manager within `reachTimeoutSeconds`:
 *            fails, or with `whenUnreachable: "skip"` records `skipped` and warns
 *   diff     `triggers` changed: replace (delete first); `create`/`update`/`secretStdin` changed:
 *            update that runs the script again;
 *            anything else (addresses, key, timeouts, delete/read scripts, and this provider's own
 *            code, `__provider`): update that runs nothing. The last matters because the engine's
 *            dynamic-provider host runs `delete` and `read` with the `__provider` stored in the
 *            state (cmd/dynamic-provider/index.js): only an update stores the new code, so a fix to
 *            `delete` reaches `pulumi destroy` only after an `up` has stored it
 *   update   runs `update`, else `create` (as remote.Command does), when a script changed
 *   delete   runs `delete` within `deleteReachTimeoutSeconds`; no manager answers: skipped with a
 *            warning that names the step, so `pulumi destroy` never hangs on lost servers
 *   read     (refresh) runs `read` if given and keeps its stdout: how a refresh re-reads the join
 *            tokens; no manager answers: keeps everything it knew (stdout, `answeredBy`) and
 *            warns, so an unreachable refresh never looks like "no swarm here"
 *
 * A connection that fails (refused, timed out, key not yet authorised) moves on to the next
 * manager; a script that RUNS and fails is the answer: its exit status and stderr fail the step.
 *
 * Host keys: a step tries only the managers whose host key it has pinned (`hostKeys`, from their
 * HostKeyPin: host-key-pin.ts), offers only the pinned algorithm, and checks the key in ssh2's
 * hostVerifier, which runs in the handshake, before authentication: a manager showing another
 * key gets neither the private key's signature nor a command nor stdin. A mismatch fails the step
 * at once, naming the server, both fingerprints and what to do after a rebuild; it never moves on
 * to another manager (a changed key is news the operator must see, not an unreachable server).
 * Except in delete: the engine deletes with the state's inputs, whose pins predate this update,
 * and a step replaced because its server was (a membership, when Pulumi has just replaced a
 * manager behind the same floating IP) would otherwise fail every such update. There a changed
 * key is skipped with a warning, still sending it nothing, like an unreachable manager.
 *
 * Pulumi serialises this object into the state (`__provider`) with its closure serializer, and
 * runs it in a separate process. So: no imports at module level but types, `require` inside the
 * functions, plain function declarations (no captured `exports`), plain data in the inputs.
 * The system test calls these very functions against its containers (docs/design.md principle 8).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { RemoteScript } from "./remote-scripts";
import type { HostKeys, PinnedHostKey } from "./host-key-check";
import { sshEndpoint } from "./ssh-endpoint";

/** The provider's inputs, once Pulumi has resolved them. */
export interface ManagerStepInputs {
  /** Human name of the step for messages, e.g. "ready gate (alice-ready)". */
  description: string;
  /** Addresses this machine reaches the managers at, tried in this order. */
  managers: string[];
  /** Each manager's pinned host key, by address; a manager without one is never tried. */
  hostKeys?: HostKeys;
  /** SSH port of every manager; 22. */
  port: number;
  user: string;
  privateKey: string;
  create?: RemoteScript;
  update?: RemoteScript;
  delete?: RemoteScript;
  read?: RemoteScript;
  /** stdout carries a secret: never quoted in messages (the program also marks it secret). */
  secretStdout: boolean;
  /** Secret lines fed before every script's stdin (never quoted); a change runs `create` again. */
  secretStdin?: string;
  /** Any change replaces the step: delete, then create. */
  triggers: unknown[];
  /** create/update: how long to keep trying to reach some manager (a fresh server boots). */
  reachTimeoutSeconds: number;
  /** delete and read: how long unreachable managers may take before the step is skipped. */
  deleteReachTimeoutSeconds: number;
  /** One connection attempt to one address. */
  connectTimeoutSeconds: number;
  /** How long a script may run once it started. */
  scriptTimeoutSeconds: number;
  /** create/update with no manager answering: fail the update (default) or skip with a warning. */
  whenUnreachable: "fail" | "skip";
}

export interface ManagerStepOutputs extends ManagerStepInputs {
  stdout: string;
  stderr: string;
  /** The manager address the last script ran on; empty when none answered. */
  answeredBy: string;
  /** True when no manager answered and the script did not run. */
  skipped: boolean;
}

/** What one attempt to run a script came to. */
export interface StepRun {
  ran: boolean;
  stdout: string;
  stderr: string;
  exitCode: number;
  answeredBy: string;
  /** Why each address failed the last time it was tried, in the managers' order. */
  failures: string[];
}

/** What delete did: `skipped` with the warning it printed when no manager answered. */
export interface DeleteOutcome {
  skipped: boolean;
  answeredBy: string;
  warning?: string;
}

/** OpenSSH's fingerprint of a host key blob: the same as host-key-pin-provider.ts's sshFingerprint. */
export function hostKeyFingerprint(keyBlob: Buffer): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require("crypto") as typeof import("crypto");
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** A step's failure when a manager shows another host key than the one pinned for it. */
export function hostKeyMismatchMessage(
  description: string,
  address: string,
  pinned: PinnedHostKey,
  seen: string,
): string {
  return (
    `${description}: manager ${pinned.server} (${address}) showed SSH host key ${seen}, but the ` +
    `key pinned for that server is ${pinned.fingerprint}. Nothing was sent to it (the key is ` +
    "checked in the SSH handshake, before authentication) and no other manager was tried: a " +
    "changed key may be someone in the path or holding that address. If the server was " +
    "legitimately re-created, run `pulumi up --refresh` (a new server id gets a new pin); if it " +
    "was rebuilt or re-keyed under the same id, check the new key on its console " +
    "(`openstack console log show " +
    `${pinned.server}\`), then replace its pin: \`pulumi up --replace '${pinned.pin}'\`.`
  );
}

/** A manager showed another host key than its pin: fatal, never a reason to try the next one. */
const HOST_KEY_MISMATCH = "HostKeyMismatch";

function hostKeyMismatch(message: string, seen: string): Error & { seen: string } {
  const error = Object.assign(new Error(message), { seen });
  error.name = HOST_KEY_MISMATCH;
  return error;
}

/**
 * ssh2 connection to one address; rejects after `timeoutMs` (readyTimeout covers auth too), and
 * with a HostKeyMismatch when the server's key is not `expected` (checked before authentication).
 */
function connectTo(
  inputs: ManagerStepInputs,
  host: string,
  timeoutMs: number,
): Promise<import("ssh2").Client> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require("ssh2") as typeof import("ssh2");
  const pinned = inputs.hostKeys?.[host];
  if (!pinned) return Promise.reject(new Error("no pinned host key"));
  return new Promise((resolve, reject) => {
    const client = new Client();
    let seenKey: string | undefined;
    const timer = setTimeout(() => {
      client.destroy();
      reject(new Error(`no SSH answer within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs + 1000);
    client
      .on("ready", () => {
        clearTimeout(timer);
        resolve(client);
      })
      .on("error", (error: Error) => {
        clearTimeout(timer);
        client.destroy();
        reject(
          seenKey
            ? hostKeyMismatch(
                hostKeyMismatchMessage(inputs.description, host, pinned, seenKey),
                seenKey,
              )
            : error,
        );
      })
      .connect({
        // A manager on the local cloud is "127.0.0.1:<published port>" (ssh-endpoint.ts).
        ...sshEndpoint(host, inputs.port),
        username: inputs.user,
        privateKey: inputs.privateKey,
        readyTimeout: timeoutMs,
        keepaliveInterval: 10_000,
        // The pinned key's algorithm only (host-key-pin-provider.ts: PINNED_HOST_KEY_ALGORITHM).
        algorithms: { serverHostKey: ["ssh-ed25519"] },
        hostVerifier: (key: Buffer) => {
          const seen = hostKeyFingerprint(key);
          if (seen === pinned.fingerprint) return true;
          seenKey = seen;
          return false;
        },
      });
  });
}

/** Runs `script` on a connected client: command, stdin, then EOF; deadline `timeoutMs`. */
function execOn(
  client: import("ssh2").Client,
  script: RemoteScript,
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  return new Promise((resolve, reject) => {
    client.exec(script.command, (error, channel) => {
      if (error) return reject(error);
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const timer = setTimeout(() => {
        channel.close();
        reject(new Error(`the script did not finish within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      channel.on("data", (chunk: Buffer) => stdout.push(chunk));
      channel.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
      channel.on("close", (code: number | null, signal?: string) => {
        clearTimeout(timer);
        resolve({
          stdout: Buffer.concat(stdout).toString("utf8"),
          stderr: Buffer.concat(stderr).toString("utf8"),
          exitCode: code ?? (signal ? 128 : 1),
        });
      });
      channel.end(script.stdin);
    });
  });
}

/**
 * Tries the managers in order, pass after pass, until one accepts SSH or `reachSeconds` passed;
 * runs `script` there. Never throws for unreachable managers (`ran: false`); throws when the
 * script itself could not be run to its end on the manager that answered.
 */
async function runOnFirstManager(
  inputs: ManagerStepInputs,
  script: RemoteScript,
  reachSeconds: number,
  onMismatch: "fail" | "skip" = "fail",
): Promise<StepRun> {
  const deadline = Date.now() + reachSeconds * 1000;
  const lastFailure = new Map<string, string>();
  const failures = () => inputs.managers.flatMap((h) => lastFailure.get(h) ?? []);
  // Only managers with a pin are a way in; the others are named in the message if none answers.
  const pinned = inputs.managers.filter((host) => inputs.hostKeys?.[host] !== undefined);
  for (const host of inputs.managers.filter((h) => !pinned.includes(h))) {
    lastFailure.set(host, `${host}: no pinned host key (its HostKeyPin has not run yet)`);
  }
  if (pinned.length === 0) {
    return {
      ran: false,
      stdout: "",
      stderr: "",
      exitCode: -1,
      answeredBy: "",
      failures: failures(),
    };
  }
  const changedKey = new Set<string>();
  for (let pass = 0; pass === 0 || Date.now() < deadline; pass++) {
    for (const host of pinned.filter((h) => !changedKey.has(h))) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 && pinned.some((h) => lastFailure.has(h))) break;
      const timeoutMs = Math.max(1000, Math.min(inputs.connectTimeoutSeconds * 1000, remaining));
      let client: import("ssh2").Client;
      try {
        client = await connectTo(inputs, host, timeoutMs);
      } catch (error) {
        if ((error as Error).name === HOST_KEY_MISMATCH) {
          if (onMismatch === "fail") throw error;
          const seen = (error as Error & { seen: string }).seen;
          const expected = inputs.hostKeys?.[host]?.fingerprint;
          changedKey.add(host);
          lastFailure.set(host, `${host}: showed host key ${seen}, not the pinned ${expected}`);
          warn(
            `${inputs.description}: manager ${host} showed SSH host key ${seen} instead of the ` +
              `pinned ${expected}; nothing was sent to it. A delete takes that for a server ` +
              "replaced since (this update re-pins it) and goes on with the other managers.",
          );
        } else {
          lastFailure.set(host, `${host}: ${(error as Error).message}`);
        }
        continue;
      }
      try {
        const stdin = `${inputs.secretStdin ?? ""}${script.stdin}`;
        const result = await execOn(
          client,
          { command: script.command, stdin },
          inputs.scriptTimeoutSeconds * 1000,
        );
        return { ran: true, ...result, answeredBy: host, failures: failures() };
      } catch (error) {
        throw new Error(`${inputs.description}: on manager ${host}: ${(error as Error).message}`, {
          cause: error,
        });
      } finally {
        client.end();
      }
    }
    if (pinned.every((h) => changedKey.has(h))) break;
    const pause = Math.min(2000, deadline - Date.now());
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
  }
  return { ran: false, stdout: "", stderr: "", exitCode: -1, answeredBy: "", failures: failures() };
}

/** The last lines of stderr, for an error message (stdout may hold secrets). */
function stderrTail(stderr: string): string {
  const lines = stderr.trimEnd().split("\n");
  return lines.slice(-30).join("\n");
}

/** A warning where `pulumi up`/`destroy` shows it: the provider's stderr is shown by the CLI. */
function warn(message: string): string {
  console.error(`warning: ${message}`);
  return message;
}

function unreachableMessage(inputs: ManagerStepInputs, seconds: number, run: StepRun): string {
  const tried = inputs.managers.length === 0 ? "no manager address" : run.failures.join("; ");
  return `${inputs.description}: no manager answered SSH within ${seconds} s (${tried})`;
}

/** Runs a create/update script; fails on a non-zero exit or (unless skip) unreachable managers. */
async function runStep(
  inputs: ManagerStepInputs,
  script: RemoteScript | undefined,
): Promise<Pick<ManagerStepOutputs, "stdout" | "stderr" | "answeredBy" | "skipped">> {
  if (!script) return { stdout: "", stderr: "", answeredBy: "", skipped: false };
  const run = await runOnFirstManager(inputs, script, inputs.reachTimeoutSeconds);
  if (!run.ran) {
    const message = unreachableMessage(inputs, inputs.reachTimeoutSeconds, run);
    if (inputs.whenUnreachable !== "skip") {
      throw new Error(
        `${message}. The machine running pulumi must reach a manager's floating IP on port ` +
          `${inputs.port} (it must be inside swarmlab:allowedCidrs) and a manager must be up.`,
      );
    }
    warn(`${message}; skipped`);
    return { stdout: "", stderr: "", answeredBy: "", skipped: true };
  }
  if (run.exitCode !== 0) {
    throw new Error(
      `${inputs.description}: the script exited ${run.exitCode} on manager ${run.answeredBy}` +
        `${inputs.secretStdout ? " (stdout withheld: it carries secrets)" : ""}; its stderr:\n` +
        stderrTail(run.stderr),
    );
  }
  return { stdout: run.stdout, stderr: run.stderr, answeredBy: run.answeredBy, skipped: false };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Inputs whose change runs the step's script again (the rest only updates what is stored). */
const RERUN_KEYS = ["create", "update", "secretStdin"] as const;

async function create(inputs: ManagerStepInputs): Promise<pulumi.dynamic.CreateResult> {
  const result = await runStep(inputs, inputs.create);
  const { randomUUID } = require("crypto") as typeof import("crypto"); // eslint-disable-line @typescript-eslint/no-require-imports
  return { id: randomUUID(), outs: { ...inputs, ...result } };
}

/** Outputs only: never compared. */
const OUTPUT_KEYS = ["stdout", "stderr", "answeredBy", "skipped"];

/**
 * The inputs that differ, `__provider` (this code, serialised) among them. The SDK's dynamic
 * DiffResult (3.270) carries no detailed diff, and its host passes on `changes`, `replaces` and
 * `deleteBeforeReplace` only; `pulumi preview --diff` shows the changed inputs itself.
 */
function changedInputs(olds: ManagerStepOutputs, news: ManagerStepInputs): string[] {
  const before = olds as unknown as Record<string, unknown>;
  const after = news as unknown as Record<string, unknown>;
  return Object.keys({ ...before, ...after }).filter(
    (key) => !OUTPUT_KEYS.includes(key) && !same(before[key], after[key]),
  );
}

async function diff(
  _id: string,
  olds: ManagerStepOutputs,
  news: ManagerStepInputs,
): Promise<pulumi.dynamic.DiffResult> {
  const changed = changedInputs(olds, news);
  return {
    changes: changed.length > 0,
    replaces: changed.includes("triggers") ? ["triggers"] : [],
    deleteBeforeReplace: true,
  };
}

async function update(
  _id: string,
  olds: ManagerStepOutputs,
  news: ManagerStepInputs,
): Promise<pulumi.dynamic.UpdateResult> {
  const rerun = RERUN_KEYS.some((key) => !same(olds[key], news[key]));
  if (!rerun) {
    const kept = {
      stdout: olds.stdout,
      stderr: olds.stderr,
      answeredBy: olds.answeredBy,
      skipped: olds.skipped,
    };
    return { outs: { ...news, ...kept } };
  }
  const result = await runStep(news, news.update ?? news.create);
  return { outs: { ...news, ...result } };
}

async function remove(_id: string, props: ManagerStepOutputs): Promise<DeleteOutcome> {
  if (!props.delete) return { skipped: false, answeredBy: "" };
  const seconds = props.deleteReachTimeoutSeconds;
  // A delete runs with the pins of the state, which may predate this update's replacement of a
  // manager: a changed key is skipped (nothing sent), like an unreachable manager.
  const run = await runOnFirstManager(props, props.delete, seconds, "skip");
  if (!run.ran) {
    const warning = warn(
      `${unreachableMessage(props, seconds, run)}; skipped its delete step, so the swarm may ` +
        "keep a Down entry for this node: the next ready gate removes it, or run " +
        "'docker node rm' on a manager",
    );
    return { skipped: true, answeredBy: "", warning };
  }
  if (run.exitCode !== 0) {
    throw new Error(
      `${props.description}: the delete script exited ${run.exitCode} on manager ` +
        `${run.answeredBy}; its stderr:\n${stderrTail(run.stderr)}`,
    );
  }
  return { skipped: false, answeredBy: run.answeredBy };
}

async function read(id: string, props: ManagerStepOutputs): Promise<pulumi.dynamic.ReadResult> {
  if (!props.read) return { id, props };
  const seconds = props.deleteReachTimeoutSeconds;
  const run = await runOnFirstManager(props, props.read, seconds);
  if (!run.ran) {
    // Unreachable is not "gone": keep what was read before, answeredBy included, or the next
    // update would take a swarm it cannot see for no swarm at all.
    warn(`${unreachableMessage(props, seconds, run)}; refresh kept what it read before`);
    return { id, props };
  }
  if (run.exitCode !== 0) {
    throw new Error(
      `${props.description}: the refresh script exited ${run.exitCode} on manager ` +
        `${run.answeredBy}; its stderr:\n${stderrTail(run.stderr)}`,
    );
  }
  const outs = { stdout: run.stdout, stderr: run.stderr, answeredBy: run.answeredBy };
  return { id, props: { ...props, ...outs, skipped: false } };
}

/**
 * The provider object (serialised into the state by Pulumi). Every function is callable directly:
 * the system test drives them against its containers.
 */
export const managerStepProvider = {
  create,
  diff,
  update,
  delete: remove,
  read,
};
