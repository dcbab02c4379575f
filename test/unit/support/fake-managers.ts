/**
 * Fake swarm managers for ManagerStep's provider: in-process ssh2 servers on loopback addresses
 * (127.0.0.2, .3, ...) that accept any public key and answer every exec with
 * "<address> ran <command> with <stdin>" (the command `fail` exits 3 with stderr "it broke" and a
 * stdout that must never be quoted). Real SSH on a real socket: the provider's own ssh2 client
 * talks to them exactly as it talks to a manager. Each has its own ed25519 host key, whose
 * fingerprint (`hostKeys`) is what a HostKeyPin would have pinned; they count what reached them
 * after the handshake (authentication attempts, bytes on channels).
 */
import * as net from "node:net";
import { Server, utils } from "ssh2";
import type { HostKeys } from "../../../infra/swarm/host-key-check";
import { fingerprintOfPublicKeyLine } from "../../../infra/swarm/host-key-check";
import type { ManagerStepInputs } from "../../../infra/swarm/manager-step-provider";

export const ANSWERING = ["127.0.0.2", "127.0.0.3"];
/** Nothing listens there: connection refused at once. */
export const REFUSING = "127.0.0.4";
/** Accepts TCP but never speaks SSH: the per-address timeout must end the attempt. */
export const SILENT = "127.0.0.5";

export interface FakeManagers {
  port: number;
  clientKey: { private: string; public: string };
  /** Every exec the fake managers saw: "<address> <command>". */
  seen: string[];
  /** What reached them after the key exchange: authentication requests and channel bytes. */
  received: { authentications: string[]; channelBytes: number };
  /** The answering managers' host key pins, as HostKeyPin would have taken them. */
  hostKeys: HostKeys;
  close(): void;
}

type Received = FakeManagers["received"];

/**
 * An ed25519 key pair from ssh2's generator that ssh2 itself can parse. ssh2 1.17 drops a public
 * key's leading zero byte (about 1 key in 256, checked: 1 of 200), writing a key it then refuses
 * ("Malformed OpenSSH private key"); such a draw is discarded, or a whole test file would fail.
 */
export function ed25519KeyPair(comment?: string): { private: string; public: string } {
  for (;;) {
    const pair = utils.generateKeyPairSync("ed25519", comment ? { comment } : undefined);
    if (!(utils.parseKey(pair.private) instanceof Error)) return pair;
  }
}

function fakeManager(
  address: string,
  port: number,
  seen: string[],
  received: Received,
  hostKey: string,
): Promise<Server> {
  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    // Nagle's algorithm on the fake's socket held its small replies until the client's delayed
    // ACK (40 ms on Linux): a step against a fake took 630 ms, 20 ms of it CPU; about 460 ms
    // without (what remains is the same wait on the provider's own socket, left as it is). The
    // bytes and their order are the same; a real sshd's timing is not what these tests check.
    // ssh2 1.17's Connection has setNoDelay (lib/server.js); @types/ssh2 does not declare it.
    (client as unknown as { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
    client
      .on("authentication", (ctx) => {
        received.authentications.push(`${address} ${ctx.method}`);
        return ctx.method === "publickey" ? ctx.accept() : ctx.reject();
      })
      .on("ready", () => {
        client.on("session", (accept) => {
          accept().on("exec", (acceptExec, _reject, info) => {
            const channel = acceptExec();
            seen.push(`${address} ${info.command}`);
            let stdin = "";
            channel.on("data", (chunk: Buffer) => {
              received.channelBytes += chunk.length;
              stdin += chunk.toString();
            });
            channel.on("end", () => {
              if (info.command === "fail") {
                channel.stderr.write("it broke\n");
                channel.write("SECRET-OUTPUT\n");
                channel.exit(3);
              } else {
                channel.write(`${address} ran ${info.command} with ${stdin}\n`);
                channel.exit(0);
              }
              channel.end();
            });
          });
        });
      })
      .on("error", () => undefined);
  });
  return new Promise((resolve) => server.listen(port, address, () => resolve(server)));
}

/** Starts the answering managers and the silent one, all on `port`. */
export async function startFakeManagers(port: number): Promise<FakeManagers> {
  const seen: string[] = [];
  const received: Received = { authentications: [], channelBytes: 0 };
  const keys = ANSWERING.map(() => ed25519KeyPair());
  const servers: (Server | net.Server)[] = await Promise.all(
    ANSWERING.map((address, i) => fakeManager(address, port, seen, received, keys[i].private)),
  );
  const hostKeys: HostKeys = Object.fromEntries(
    ANSWERING.map((address, i) => [
      address,
      {
        server: `fake-manager-${i}`,
        fingerprint: fingerprintOfPublicKeyLine(keys[i].public),
        pin: `urn:pulumi:test::swarmlab::pulumi-nodejs:dynamic:Resource::fake-manager-${i}-host-key`,
      },
    ]),
  );
  const sockets: net.Socket[] = [];
  const silent = net.createServer((socket) => sockets.push(socket));
  servers.push(silent);
  await new Promise<void>((resolve) => silent.listen(port, SILENT, () => resolve()));
  return {
    port,
    clientKey: ed25519KeyPair(),
    seen,
    received,
    hostKeys,
    close() {
      for (const socket of sockets) socket.destroy();
      for (const server of servers) server.close();
    },
  };
}

/**
 * Pins for the addresses that never complete a handshake: a step tries only pinned managers, so
 * these make it try them (and fail to connect) as it would try a pinned server that is down.
 */
const UNREACHABLE_PINS: HostKeys = Object.fromEntries(
  [REFUSING, SILENT].map((address) => [
    address,
    { server: `down-${address}`, fingerprint: "SHA256:never-shown", pin: `pin-of-${address}` },
  ]),
);

/**
 * Deadlines for a step that no manager answers, instead of stepInputs' 3 s: each unreachable
 * address is still tried (REFUSING refuses at once, SILENT's attempt starts before the deadline
 * and lasts connectTimeoutSeconds, 1 s), and the message, the skip and the bound asserted do not
 * depend on the figure; only the pauses between passes are gone (2 s each). Steps that must reach
 * an answering manager after SILENT keep the 3 s: past the deadline the provider tries no more.
 */
export const NO_ANSWER_DEADLINES = { reachTimeoutSeconds: 1, deleteReachTimeoutSeconds: 1 };

/** A step's provider inputs against the fake managers (every one pinned), short timeouts. */
export function stepInputs(
  fake: FakeManagers,
  managers: string[],
  extra: Partial<ManagerStepInputs> = {},
): ManagerStepInputs {
  return {
    description: "test step (t)",
    managers,
    hostKeys: { ...fake.hostKeys, ...UNREACHABLE_PINS },
    port: fake.port,
    user: "ubuntu",
    privateKey: fake.clientKey.private,
    create: { command: "create", stdin: "in" },
    secretStdout: false,
    triggers: [],
    reachTimeoutSeconds: 3,
    deleteReachTimeoutSeconds: 3,
    connectTimeoutSeconds: 1,
    scriptTimeoutSeconds: 10,
    whenUnreachable: "fail",
    ...extra,
  };
}
