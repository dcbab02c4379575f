/**
 * Fake swarm managers for ManagerStep's provider: in-process ssh2 servers on loopback addresses
 * (127.0.0.2, .3, ...) that accept any public key and answer every exec with
 * "<address> ran <command> with <stdin>" (the command `fail` exits 3 with stderr "it broke" and a
 * stdout that must never be quoted). Real SSH on a real socket: the provider's own ssh2 client
 * talks to them exactly as it talks to a manager.
 */
import * as net from "node:net";
import { Server, utils } from "ssh2";
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
  close(): void;
}

function fakeManager(address: string, port: number, seen: string[]): Promise<Server> {
  const hostKey = utils.generateKeyPairSync("ed25519").private;
  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    client
      .on("authentication", (ctx) => (ctx.method === "publickey" ? ctx.accept() : ctx.reject()))
      .on("ready", () => {
        client.on("session", (accept) => {
          accept().on("exec", (acceptExec, _reject, info) => {
            const channel = acceptExec();
            seen.push(`${address} ${info.command}`);
            let stdin = "";
            channel.on("data", (chunk: Buffer) => (stdin += chunk.toString()));
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
  const servers: (Server | net.Server)[] = await Promise.all(
    ANSWERING.map((address) => fakeManager(address, port, seen)),
  );
  const sockets: net.Socket[] = [];
  const silent = net.createServer((socket) => sockets.push(socket));
  servers.push(silent);
  await new Promise<void>((resolve) => silent.listen(port, SILENT, () => resolve()));
  return {
    port,
    clientKey: utils.generateKeyPairSync("ed25519"),
    seen,
    close() {
      for (const socket of sockets) socket.destroy();
      for (const server of servers) server.close();
    },
  };
}

/** A step's provider inputs against the fake managers, short timeouts. */
export function stepInputs(
  fake: FakeManagers,
  managers: string[],
  extra: Partial<ManagerStepInputs> = {},
): ManagerStepInputs {
  return {
    description: "test step (t)",
    managers,
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
