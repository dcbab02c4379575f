/**
 * The dynamic provider behind HostKeyPin (host-key-pin.ts): at first contact with a new server,
 * reads its SSH host key and keeps the fingerprint in the state, bound to the server's id.
 *
 *   create   connects until the server's sshd answers (within `reachTimeoutSeconds`), takes the
 *            host key it shows in the handshake (ssh2's hostVerifier), refuses it so the
 *            connection ends there: no authentication, no channel, nothing sent but the
 *            handshake. Outputs `fingerprint`; the id is the server id
 *   diff     `serverId` changed (a new server): replace, so the new server is pinned anew;
 *            anything else (address, timeouts, this code): an update that keeps the pin
 *   read     (refresh) keeps the pin as it is: a refresh never re-pins, or it would accept
 *            whatever key is shown then
 *   delete   nothing to undo
 *
 * Why no key is handed to the node instead: user-data must carry no secret and Nova metadata is
 * readable by everyone in the project, so the program cannot give a node a host key it made.
 *
 * Serialised into the state like ManagerStep's provider: no imports at module level but types,
 * `require` inside the functions, plain function declarations.
 */
import type * as pulumi from "@pulumi/pulumi";
import { sshEndpoint } from "./ssh-endpoint";

export interface HostKeyPinInputs {
  /** The server's name, for messages. */
  server: string;
  /** The server's id: a new id is a new server, and gets a new pin. */
  serverId: string;
  /** Where this machine reaches the server's sshd (its floating IP). */
  address: string;
  port: number;
  /** How long a fresh server may take until its sshd answers. */
  reachTimeoutSeconds: number;
  /** One connection attempt. */
  connectTimeoutSeconds: number;
}

export interface HostKeyPinOutputs extends HostKeyPinInputs {
  /** `SHA256:<base64>`, as OpenSSH shows it. */
  fingerprint: string;
}

/**
 * OpenSSH's fingerprint of a public key blob (the key in SSH wire format, as ssh2's hostVerifier
 * gets it): `SHA256:` and the unpadded base64 of its SHA-256, as `ssh-keygen -l` prints it.
 * ManagerStep's provider has its own copy (a serialised provider cannot import one); a unit test
 * holds both to ssh-keygen's answer.
 */
export function sshFingerprint(keyBlob: Buffer): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require("crypto") as typeof import("crypto");
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/**
 * The only host key algorithm offered (here and in ManagerStep's provider): a pin is the
 * fingerprint of ONE key, so the server must show that same key every time. Every OpenSSH since
 * 6.5 has an ed25519 host key, and cloud-init makes one at first boot (Debian, Ubuntu images).
 */
export const PINNED_HOST_KEY_ALGORITHM = "ssh-ed25519";

/** One handshake with `address`: the fingerprint of the host key it shows, or why it failed. */
function handshake(inputs: HostKeyPinInputs, timeoutMs: number): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require("ssh2") as typeof import("ssh2");
  return new Promise((resolve, reject) => {
    const client = new Client();
    let seen: string | undefined;
    // Set below; finish may run before the timer exists (an immediate error).
    const deadline: { timer?: ReturnType<typeof setTimeout> } = {};
    const finish = (error?: Error) => {
      clearTimeout(deadline.timer);
      client.destroy();
      if (seen) resolve(seen);
      else reject(error ?? new Error("the connection closed before the server showed a host key"));
    };
    deadline.timer = setTimeout(
      () => finish(new Error(`no SSH answer within ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs + 1000,
    );
    client
      .on("error", (error: Error) => finish(error))
      .on("close", () => finish())
      .connect({
        ...sshEndpoint(inputs.address, inputs.port),
        // Never used: the handshake is refused before authentication.
        username: "host-key-pin",
        readyTimeout: timeoutMs,
        algorithms: { serverHostKey: [PINNED_HOST_KEY_ALGORITHM] },
        hostVerifier: (key: Buffer) => {
          seen = sshFingerprint(key);
          // Refusing ends the connection in the handshake: nothing else is sent.
          return false;
        },
      });
  });
}

/** Tries until the server shows a host key or the deadline passes. */
async function firstContact(inputs: HostKeyPinInputs): Promise<string> {
  const deadline = Date.now() + inputs.reachTimeoutSeconds * 1000;
  let last = "";
  for (let attempt = 0; attempt === 0 || Date.now() < deadline; attempt++) {
    const remaining = deadline - Date.now();
    const timeoutMs = Math.max(1000, Math.min(inputs.connectTimeoutSeconds * 1000, remaining));
    try {
      return await handshake(inputs, timeoutMs);
    } catch (error) {
      last = (error as Error).message;
    }
    const pause = Math.min(2000, deadline - Date.now());
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
  }
  throw new Error(
    `host key pin of ${inputs.server}: its sshd at ${inputs.address}:${inputs.port} showed no ` +
      `host key within ${inputs.reachTimeoutSeconds} s (${last}). The machine running pulumi ` +
      "must reach the manager's floating IP on port 22 (inside swarmlab:allowedCidrs).",
  );
}

async function create(inputs: HostKeyPinInputs): Promise<pulumi.dynamic.CreateResult> {
  const fingerprint = await firstContact(inputs);
  return { id: inputs.serverId, outs: { ...inputs, fingerprint } };
}

async function diff(
  _id: string,
  olds: HostKeyPinOutputs,
  news: HostKeyPinInputs,
): Promise<pulumi.dynamic.DiffResult> {
  const before = olds as unknown as Record<string, unknown>;
  const after = news as unknown as Record<string, unknown>;
  const changed = Object.keys({ ...before, ...after }).filter(
    (key) => key !== "fingerprint" && JSON.stringify(before[key]) !== JSON.stringify(after[key]),
  );
  return {
    changes: changed.length > 0,
    replaces: changed.includes("serverId") ? ["serverId"] : [],
    deleteBeforeReplace: true,
  };
}

async function update(
  _id: string,
  olds: HostKeyPinOutputs,
  news: HostKeyPinInputs,
): Promise<pulumi.dynamic.UpdateResult> {
  return { outs: { ...news, fingerprint: olds.fingerprint } };
}

async function read(id: string, props: HostKeyPinOutputs): Promise<pulumi.dynamic.ReadResult> {
  return { id, props };
}

async function remove(): Promise<void> {
  return undefined;
}

export const hostKeyPinProvider = { create, diff, update, read, delete: remove };
