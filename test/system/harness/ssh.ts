/**
 * SSH to a node with the ssh2 package, as the Pulumi program's remote commands do: connect with
 * retries until sshd is up and cloud-init has installed the key, then exec commands with stdin
 * and a deadline. The server's host key must be the pinned one (host-keys.ts), checked in the
 * handshake before authentication; a mismatch fails at once, without retrying.
 */
import { Client, utils } from "ssh2";
import { sshFingerprint } from "../../../infra/swarm/host-key-pin-provider";
import { CommandResult } from "./process";
import { waitFor } from "./wait";

export interface SshKeyPair {
  /** OpenSSH private key (PEM-like text) for ssh2. */
  privateKey: string;
  /** `ssh-ed25519 AAAA...`: what goes into nova's public_keys. */
  publicKey: string;
}

/**
 * ssh2 1.17's generator drops a public key's leading zero byte (about 1 key in 256) and then
 * cannot parse the private key it wrote: such a draw is discarded.
 */
export function generateSshKeyPair(comment: string): SshKeyPair {
  for (;;) {
    const pair = utils.generateKeyPairSync("ed25519", { comment });
    if (!(utils.parseKey(pair.private) instanceof Error)) {
      return { privateKey: pair.private, publicKey: pair.public };
    }
  }
}

export interface SshTarget {
  host: string;
  /** sshd's port; default 22 (the local cloud's layout publishes it on 127.0.0.1:<port>). */
  port?: number;
  username: string;
  privateKey: string;
  /** The pinned host key fingerprint (`SHA256:...`), of the ed25519 key. */
  hostKey: string;
}

/** The node showed another host key than its pin: never retried. */
export class HostKeyMismatchError extends Error {}

export class SshSession {
  constructor(
    private readonly client: Client,
    readonly target: SshTarget,
  ) {}

  /** Runs `command`, feeding `stdin`; rejects if it has not exited within `timeoutMs`. */
  exec(command: string, options: { stdin?: string; timeoutMs: number }): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (error, channel) => {
        if (error) return reject(error);
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        const timer = setTimeout(() => {
          channel.close();
          reject(
            new Error(
              `ssh ${this.target.username}@${this.target.host}: command did not exit within ` +
                `${options.timeoutMs / 1000}s: ${command.slice(0, 120)}`,
            ),
          );
        }, options.timeoutMs);
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
        channel.end(options.stdin ?? "");
      });
    });
  }

  close(): void {
    this.client.end();
  }
}

function connectOnce(target: SshTarget): Promise<SshSession> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let mismatch: string | undefined;
    client
      .on("ready", () => resolve(new SshSession(client, target)))
      .on("error", (error) => {
        client.end();
        reject(mismatch ? new HostKeyMismatchError(mismatch) : error);
      })
      .connect({
        host: target.host,
        port: target.port ?? 22,
        username: target.username,
        privateKey: target.privateKey,
        readyTimeout: 10_000,
        algorithms: { serverHostKey: ["ssh-ed25519"] },
        hostVerifier: (key: Buffer) => {
          const seen = sshFingerprint(key);
          if (seen === target.hostKey) return true;
          mismatch = `ssh ${target.username}@${target.host}: host key ${seen} is not the pinned ${target.hostKey}`;
          return false;
        },
      });
  });
}

/**
 * Connects, retrying refused connections (sshd not up yet) and failed authentication (cloud-init
 * has not written authorized_keys yet) until the deadline.
 */
export async function connectSsh(target: SshTarget, timeoutMs: number): Promise<SshSession> {
  let mismatch: Error | undefined;
  const { value } = await waitFor(
    `ssh ${target.username}@${target.host} to accept the test key`,
    async () => {
      try {
        return { done: true, value: await connectOnce(target) };
      } catch (error) {
        if (!(error instanceof HostKeyMismatchError)) {
          return { done: false, observed: (error as Error).message };
        }
        mismatch = error;
        return { done: true, value: undefined };
      }
    },
    { timeoutMs, intervalMs: 1000 },
  );
  if (mismatch || !value) throw mismatch ?? new Error(`ssh ${target.host}: no session`);
  return value;
}
