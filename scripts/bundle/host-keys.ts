/**
 * The bundle's known_hosts: the managers' SSH host keys, checked against the pins in the stack's
 * `hostKeys` output (HostKeyPin, infra/swarm/host-key-pin.ts) before they are written, so the
 * student's ssh runs with `StrictHostKeyChecking yes` from the first connection (no trust on
 * first use, docs/design.md principle 12).
 *
 * A pin holds the key's fingerprint only, and known_hosts needs the key itself: the class tool
 * reads it in an SSH handshake (as HostKeyPin does at first contact: the key is refused in the
 * handshake, so nothing but the handshake is sent) and writes it only if its fingerprint is the
 * pinned one. A key that differs stops that student's bundle with the ManagerStep's own
 * mismatch message.
 */
import {
  fingerprintOfPublicKeyLine,
  HostKeys,
  PinnedHostKey,
} from "../../infra/swarm/host-key-check";
import { PINNED_HOST_KEY_ALGORITHM } from "../../infra/swarm/host-key-pin-provider";
import { hostKeyMismatchMessage } from "../../infra/swarm/manager-step-provider";
import { sshEndpoint } from "../../infra/swarm/ssh-endpoint";

/** The public key line (`ssh-ed25519 AAAA...`) the SSH server at `address` shows now. */
export type HostKeyReader = (address: string) => Promise<string>;

/** One connection attempt of the class tool: the manager is up when its bundle is made. */
const READ_TIMEOUT_MS = 15_000;

/**
 * The host key shown at `address:port` in an SSH handshake, offered ed25519 only (the pinned
 * algorithm). The key is refused once seen: no authentication, no channel.
 */
export function readHostKeyOverSsh(
  address: string,
  port = 22,
  timeoutMs = READ_TIMEOUT_MS,
): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require("ssh2") as typeof import("ssh2");
  return new Promise((resolve, reject) => {
    const client = new Client();
    let seen: Buffer | undefined;
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.destroy();
      if (seen) resolve(`${PINNED_HOST_KEY_ALGORITHM} ${seen.toString("base64")}`);
      else
        reject(
          new Error(
            `${address}:${port} showed no SSH host key: ${error?.message ?? "connection closed"}`,
          ),
        );
    };
    const timer = setTimeout(
      () => finish(new Error(`no answer within ${timeoutMs / 1000} s`)),
      timeoutMs + 1000,
    );
    client
      .on("error", (error: Error) => finish(error))
      .on("close", () => finish())
      .connect({
        host: address,
        port,
        // Never used: the handshake ends before authentication.
        username: "swarmlab-bundle",
        readyTimeout: timeoutMs,
        algorithms: { serverHostKey: [PINNED_HOST_KEY_ALGORITHM] },
        hostVerifier: (key: Buffer) => {
          seen = key;
          return false;
        },
      });
  });
}

/**
 * The shown key of a pinned manager's address: "203.0.113.10" (port 22) or the local cloud's
 * "127.0.0.1:2222", read at that port.
 */
export function readHostKeyAt(address: string): Promise<string> {
  const { host, port } = sshEndpoint(address, 22);
  return readHostKeyOverSsh(host, port);
}

export interface KnownHost {
  address: string;
  server: string;
  /** `ssh-ed25519 AAAA...` */
  publicKey: string;
}

/**
 * The host field of a known_hosts line for a pin's address: the address itself for port 22,
 * `[host]:port` for another port (sshd(8), SSH_KNOWN_HOSTS FILE FORMAT: a non-standard port is
 * written with the host in brackets, as ssh looks it up).
 */
export function knownHostsName(address: string): string {
  const { host, port } = sshEndpoint(address, 22);
  return port === 22 ? host : `[${host}]:${port}`;
}

/** known_hosts lines (`<host field> <type> <key> <server>`), in the order given. Pure. */
export function renderKnownHosts(hosts: KnownHost[]): string {
  return hosts
    .map((host) => `${knownHostsName(host.address)} ${host.publicKey} ${host.server}\n`)
    .join("");
}

/** A manager showed another key than its pin: never skipped, whichever manager it is. */
export class HostKeyChangedError extends Error {}

/** The key `read` shows for one pinned manager, or the mismatch message. */
async function checkedKey(
  stack: string,
  address: string,
  pin: PinnedHostKey,
  read: HostKeyReader,
): Promise<KnownHost> {
  const publicKey = (await read(address)).trim().split(/\s+/).slice(0, 2).join(" ");
  const seen = fingerprintOfPublicKeyLine(publicKey);
  if (seen !== pin.fingerprint) {
    throw new HostKeyChangedError(
      hostKeyMismatchMessage(`bundle of ${stack}`, address, pin, seen) +
        " No bundle was written for this student.",
    );
  }
  return { address, server: pin.server, publicKey };
}

/**
 * Every pinned manager's key, read and checked. manager-0 (the ssh_config's host) must answer;
 * another manager that does not answer is left out (the student's entry is manager-0), one that
 * shows another key than its pin fails the bundle.
 */
export async function pinnedKnownHosts(
  stack: string,
  hostKeys: HostKeys,
  manager0: string,
  read: HostKeyReader,
): Promise<KnownHost[]> {
  const addresses = [manager0, ...Object.keys(hostKeys).filter((a) => a !== manager0)];
  const hosts: KnownHost[] = [];
  for (const address of addresses) {
    const pin = hostKeys[address];
    if (!pin) {
      throw new Error(
        `no pinned host key for manager-0 (${address}) in the hostKeys output: run ` +
          `\`npm run class -- up --only ${stack}\` first`,
      );
    }
    try {
      hosts.push(await checkedKey(stack, address, pin, read));
    } catch (error) {
      if (error instanceof HostKeyChangedError) throw error;
      if (address === manager0) {
        throw new Error(
          `${(error as Error).message}: the bundle needs ${pin.server} up, to check its host ` +
            "key against the pin before it is written",
        );
      }
    }
  }
  return hosts;
}
