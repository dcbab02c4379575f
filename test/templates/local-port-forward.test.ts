/**
 * templates/local-port-forward.sh, the local cloud's forwarder of a stack's port, run for real
 * with socat (Debian's, as the node image installs it): each connection goes to the first node
 * that accepts it, so a host-mode port reaches the node that runs its task and a node that is
 * down is passed over. The "nodes" are loopback addresses of this machine (127.0.0.2, .3), the
 * services Node's own TCP and UDP servers; nothing is mocked.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as dgram from "node:dgram";
import * as net from "node:net";
import * as path from "node:path";
import { TEMPLATES_DIR } from "../../infra/nodes/templates";
import { requireTool } from "./tools";

const SCRIPT = path.join(TEMPLATES_DIR, "local-port-forward.sh");
const DEADLINE_MS = 10_000;

/** A free TCP port of this machine (listen on 0, read the port, close). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A node's service: answers every connection with its name, then closes. */
async function service(address: string, port: number, name: string): Promise<net.Server> {
  const server = net.createServer((socket) => socket.end(`${name}\n`));
  await new Promise<void>((resolve) => server.listen(port, address, resolve));
  return server;
}

/** Everything 127.0.0.1:`port` sends before it closes; "" when it closes at once. */
function fetchOnce(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    socket.setTimeout(DEADLINE_MS, () => socket.destroy(new Error("no answer in time")));
    socket.on("data", (chunk) => (text += chunk.toString()));
    socket.on("close", () => resolve(text));
    socket.on("error", reject);
  });
}

/** Waits until the forwarder listens (connections stop being refused), within the deadline. */
async function listening(port: number): Promise<void> {
  const until = Date.now() + DEADLINE_MS;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.on("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > until) throw new Error(`the forwarder did not listen on ${port} in time`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("templates/local-port-forward.sh with the real socat", () => {
  let forwarder: ChildProcess | undefined;
  const servers: net.Server[] = [];
  let stderr = "";

  beforeAll(() => requireTool("socat", "socat"));
  afterEach(async () => {
    forwarder?.kill();
    forwarder = undefined;
    stderr = "";
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  async function forward(listen: number, target: number, nodes: string[]): Promise<void> {
    forwarder = spawn("bash", [SCRIPT, "tcp", String(listen), String(target), ...nodes]);
    forwarder.stderr?.on("data", (chunk) => (stderr += chunk.toString()));
    await listening(listen);
  }

  it("hands a connection to the first node that accepts it, passing over one that refuses", async () => {
    const [listen, target] = [await freePort(), await freePort()];
    servers.push(await service("127.0.0.3", target, "node-3"));
    await forward(listen, target, ["127.0.0.2", "127.0.0.3"]);
    expect(await fetchOnce(listen)).toBe("node-3\n");
    // Every connection on its own: a second one is forwarded the same way.
    expect(await fetchOnce(listen)).toBe("node-3\n");
  });

  it("keeps the nodes' order: the first node wins when both accept", async () => {
    const [listen, target] = [await freePort(), await freePort()];
    servers.push(await service("127.0.0.2", target, "node-2"));
    servers.push(await service("127.0.0.3", target, "node-3"));
    await forward(listen, target, ["127.0.0.2", "127.0.0.3"]);
    expect(await fetchOnce(listen)).toBe("node-2\n");
  });

  it("closes the connection and says which port and nodes when no node accepts", async () => {
    const [listen, target] = [await freePort(), await freePort()];
    await forward(listen, target, ["127.0.0.2", "127.0.0.3"]);
    expect(await fetchOnce(listen)).toBe("");
    const until = Date.now() + DEADLINE_MS;
    while (!stderr.includes("no node accepted") && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(stderr).toContain(
      `local-port-forward: no node accepted port ${target} (tried 127.0.0.2 127.0.0.3)`,
    );
  });

  it("refuses to start without a port and a node (exit 2, the usage)", async () => {
    const child = spawn("bash", [SCRIPT, "tcp", "8080"]);
    let said = "";
    child.stderr.on("data", (chunk) => (said += chunk.toString()));
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect(code).toBe(2);
    expect(said).toContain("usage:");
  });

  describe("udp: datagrams to manager-0, each answer back to the peer that asked", () => {
    const sockets: dgram.Socket[] = [];
    afterEach(() => sockets.splice(0).forEach((socket) => socket.close()));

    /** A free UDP port of this machine (bind to 0, read the port, close). */
    async function freeUdpPort(): Promise<number> {
      const socket = dgram.createSocket("udp4");
      await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
      const { port } = socket.address();
      await new Promise<void>((resolve) => socket.close(resolve));
      return port;
    }

    /** A node's UDP service (a DNS-like one): answers each datagram with its name and the question. */
    async function udpService(address: string, port: number, name: string): Promise<void> {
      const socket = dgram.createSocket("udp4");
      socket.on("message", (message, peer) =>
        socket.send(`${name}: ${message.toString()}`, peer.port, peer.address),
      );
      await new Promise<void>((resolve) => socket.bind(port, address, resolve));
      sockets.push(socket);
    }

    /**
     * Asks 127.0.0.1:`port` from a socket of its own and returns the answer. UDP has no "refused"
     * to wait on while socat starts, so the question is sent again every 200 ms until the deadline.
     */
    async function ask(port: number, question: string): Promise<string> {
      const socket = dgram.createSocket("udp4");
      sockets.push(socket);
      await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
      const answer = new Promise<string>((resolve) =>
        socket.once("message", (message) => resolve(message.toString())),
      );
      const until = Date.now() + DEADLINE_MS;
      let timer: NodeJS.Timeout | undefined;
      const resend = (): void => {
        if (Date.now() > until) return;
        socket.send(question, port, "127.0.0.1");
        timer = setTimeout(resend, 200);
      };
      resend();
      const deadline = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no UDP answer on ${port} in time`)), DEADLINE_MS),
      );
      try {
        return await Promise.race([answer, deadline]);
      } finally {
        clearTimeout(timer);
      }
    }

    it("forwards a question to the node and its answer back, for two peers apart", async () => {
      const [listen, target] = [await freeUdpPort(), await freeUdpPort()];
      await udpService("127.0.0.2", target, "node-2");
      forwarder = spawn("bash", [SCRIPT, "udp", String(listen), String(target), "127.0.0.2"]);
      forwarder.stderr?.on("data", (chunk) => (stderr += chunk.toString()));
      expect(await ask(listen, "first?")).toBe("node-2: first?");
      // A second peer gets its own answer, not the first one's.
      expect(await ask(listen, "second?")).toBe("node-2: second?");
      expect(stderr).toBe("");
    });

    it("takes exactly one node: a list would mean a choice UDP cannot make (exit 2, the usage)", async () => {
      const child = spawn("bash", [SCRIPT, "udp", "5353", "53", "127.0.0.2", "127.0.0.3"]);
      let said = "";
      child.stderr.on("data", (chunk) => (said += chunk.toString()));
      const code = await new Promise((resolve) => child.on("close", resolve));
      expect(code).toBe(2);
      expect(said).toContain("usage:");
    });
  });
});
