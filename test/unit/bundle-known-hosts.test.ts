/**
 * Issue 24: a bundle's known_hosts is pinned, not learnt on first use. Its keys are read in an
 * SSH handshake and written only when their fingerprint is the pin of the `hostKeys` output;
 * OpenSSH's own ssh-keygen reads the file back.
 *
 * The handshake is tested against a real SSH server (ssh2's Server, in this process, with an
 * ed25519 host key). The class-level tests use FakeClassWorkspace's `hostKey`, which stands for
 * that handshake: it returns the key the fake manager shows, as `readHostKeyOverSsh` returns what
 * a real sshd shows (tested in the first block, and against the nodes' sshd in the system test,
 * test/system/harness/bundle-context-tests.ts).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Server, utils } from "ssh2";
import { fingerprintOfPublicKeyLine } from "../../infra/swarm/host-key-check";
import {
  HostKeyChangedError,
  pinnedKnownHosts,
  readHostKeyOverSsh,
  renderKnownHosts,
} from "../../scripts/bundle/host-keys";
import { writeBundles } from "../../scripts/class/bundles";
import { FakeClassWorkspace } from "../../scripts/class/fake-workspace";
import { accessFromBundle, accessFromOutputs } from "../../scripts/checks/access";

/** `ssh-keygen ARGS` (OpenSSH's own tool): its stdout, or "" when it exits non-zero. */
function sshKeygen(...args: string[]): string {
  try {
    return execFileSync("ssh-keygen", args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch {
    return "";
  }
}

describe("readHostKeyOverSsh, against a real SSH server", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  it("returns the key the server shows and never authenticates", async () => {
    const hostKey = utils.generateKeyPairSync("ed25519");
    const attempts: string[] = [];
    server = new Server({ hostKeys: [hostKey.private] }, (client) => {
      client.on("authentication", (context) => {
        attempts.push(context.method);
        context.reject();
      });
      client.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const line = await readHostKeyOverSsh("127.0.0.1", port);
    expect(line).toBe(hostKey.public.split(" ").slice(0, 2).join(" "));
    expect(attempts).toEqual([]);
  });

  it("names the address when nothing answers", async () => {
    const closed = new Server({ hostKeys: [utils.generateKeyPairSync("ed25519").private] }, () => {
      // never reached
    });
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(readHostKeyOverSsh("127.0.0.1", port, 2000)).rejects.toThrow(
      `127.0.0.1:${port} showed no SSH host key`,
    );
  });
});

describe("pinnedKnownHosts", () => {
  const key = (n: number) =>
    `ssh-ed25519 ${utils.generateKeyPairSync("ed25519").public.split(" ")[1]} ${n}`;
  const alice0 = key(0).split(" ").slice(0, 2).join(" ");
  const alice1 = key(1).split(" ").slice(0, 2).join(" ");
  const pins = {
    "203.0.113.10": {
      server: "alice-manager-0",
      fingerprint: fingerprintOfPublicKeyLine(alice0),
      pin: "urn:0",
    },
    "203.0.113.20": {
      server: "alice-manager-1",
      fingerprint: fingerprintOfPublicKeyLine(alice1),
      pin: "urn:1",
    },
  };

  it("writes every pinned manager that shows its pinned key, manager-0 first", async () => {
    const shown: Record<string, string> = { "203.0.113.10": alice0, "203.0.113.20": alice1 };
    const hosts = await pinnedKnownHosts("alice", pins, "203.0.113.10", async (a) => shown[a]);
    expect(renderKnownHosts(hosts)).toBe(
      `203.0.113.10 ${alice0} alice-manager-0\n203.0.113.20 ${alice1} alice-manager-1\n`,
    );
  });

  it("refuses a key that is not the pin, naming the server, both fingerprints and the fix", async () => {
    const other = key(2);
    const error = await pinnedKnownHosts("alice", pins, "203.0.113.10", async (a) =>
      a === "203.0.113.10" ? alice0 : other,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostKeyChangedError);
    const message = (error as Error).message;
    expect(message).toContain("bundle of alice: manager alice-manager-1 (203.0.113.20)");
    expect(message).toContain(`showed SSH host key ${fingerprintOfPublicKeyLine(other)}`);
    expect(message).toContain(
      `the key pinned for that server is ${pins["203.0.113.20"].fingerprint}`,
    );
    expect(message).toContain("pulumi up --replace 'urn:1'");
    expect(message).toContain("No bundle was written for this student.");
  });

  it("needs manager-0 to answer; another manager that does not is left out", async () => {
    const down = (address: string) =>
      Promise.reject(new Error(`${address}:22 showed no SSH host key: timeout`));
    await expect(pinnedKnownHosts("alice", pins, "203.0.113.10", down)).rejects.toThrow(
      "203.0.113.10:22 showed no SSH host key: timeout: the bundle needs alice-manager-0 up",
    );
    const hosts = await pinnedKnownHosts("alice", pins, "203.0.113.10", async (a) =>
      a === "203.0.113.10" ? alice0 : down(a),
    );
    expect(hosts.map((h) => h.server)).toEqual(["alice-manager-0"]);
  });

  it("needs manager-0's pin", async () => {
    await expect(pinnedKnownHosts("alice", {}, "203.0.113.10", async () => alice0)).rejects.toThrow(
      "no pinned host key for manager-0 (203.0.113.10) in the hostKeys output: run `npm run class -- up --only alice` first",
    );
  });
});

describe("npm run class -- bundles: known_hosts", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-known-hosts-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function classUp(ids: string[]): Promise<FakeClassWorkspace> {
    const workspace = new FakeClassWorkspace({ delayMs: 0 });
    for (const id of ids) await workspace.up(id);
    return workspace;
  }

  it("holds the student's own manager's pinned key, none of another's, and ssh-keygen finds it", async () => {
    const workspace = await classUp(["alice", "bob"]);
    const out = path.join(dir, "bundles");
    await writeBundles(workspace, ["alice", "bob"], out, 2);
    const knownHosts = (id: string) => path.join(out, id, "known_hosts");
    const [aliceIp, bobIp] = await Promise.all(
      ["alice", "bob"].map(
        async (id) => (await workspace.secretOutputs(id)).managerPublicIp as string,
      ),
    );
    // OpenSSH's lookup by host name, as ssh does it before the first connection.
    expect(sshKeygen("-F", aliceIp, "-f", knownHosts("alice"))).toContain(
      `${aliceIp} ${workspace.pinnedHostKey("alice")}`,
    );
    expect(sshKeygen("-F", bobIp, "-f", knownHosts("alice"))).toBe("");
    expect(sshKeygen("-F", bobIp, "-f", knownHosts("bob"))).toContain(
      `${bobIp} ${workspace.pinnedHostKey("bob")}`,
    );
    expect(sshKeygen("-F", aliceIp, "-f", knownHosts("bob"))).toBe("");
    // ssh-keygen's fingerprint of what the file holds is the pin of the hostKeys output.
    const pin = (
      (await workspace.secretOutputs("alice")).hostKeys as Record<string, { fingerprint: string }>
    )[aliceIp].fingerprint;
    expect(sshKeygen("-l", "-f", knownHosts("alice"))).toBe(
      `256 ${pin} alice-manager-0 (ED25519)\n`,
    );
    expect(fs.readFileSync(path.join(out, "alice", "ssh_config"), "utf8")).toContain(
      "StrictHostKeyChecking yes",
    );
  });

  it("writes no bundle for a student whose manager shows another key than its pin", async () => {
    const workspace = await classUp(["alice", "bob"]);
    workspace.rekeyManager0("bob");
    const out = path.join(dir, "bundles");
    const results = await writeBundles(workspace, ["alice", "bob"], out, 1);
    expect(results[0]).toEqual({ id: "alice", dir: path.join(out, "alice") });
    expect(results[1]).toEqual({
      id: "bob",
      problem: expect.stringContaining(
        "bundle of bob: manager bob-manager-0 (203.0.113.11) showed SSH host key SHA256:",
      ),
    });
    expect(fs.existsSync(path.join(out, "bob"))).toBe(false);
  });

  it("writes no bundle without manager-0's pin in the outputs", async () => {
    const workspace = await classUp(["alice"]);
    const outputs = await workspace.secretOutputs("alice");
    const unpinned = Object.assign(Object.create(workspace) as FakeClassWorkspace, {
      secretOutputs: async () => ({ ...outputs, hostKeys: {} }),
    });
    const results = await writeBundles(unpinned, ["alice"], path.join(dir, "b"), 1);
    expect(results).toEqual([
      { id: "alice", problem: expect.stringContaining("no output hostKeys (manager-0's pin)") },
    ]);
  });
});

describe("npm run class -- bundles for a local stack (swarmlab:cloud docker)", () => {
  // The local cloud's manager-0: sshd published on 127.0.0.1 at a port of its own, as LocalNode
  // publishes it (2222 + swarmlab:localPortOffset); here a real SSH server on a free port.
  let server: Server;
  let port: number;
  let dir: string;
  const hostKey = utils.generateKeyPairSync("ed25519");
  const shownKey = hostKey.public.split(" ").slice(0, 2).join(" ");
  beforeAll(async () => {
    server = new Server({ hostKeys: [hostKey.private] }, (client) => {
      client.on("authentication", (context) => context.reject());
      client.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-local-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The outputs the program gives a local stack (test/unit/local-program.test.ts checks them). */
  async function localWorkspace(): Promise<FakeClassWorkspace> {
    const workspace = new FakeClassWorkspace({ delayMs: 0 });
    await workspace.up("alice");
    const outputs = await workspace.secretOutputs("alice");
    const ssh = `127.0.0.1:${port}`;
    const local = {
      ...outputs,
      managerPublicIp: "127.0.0.1",
      dockerHost: "tcp://127.0.0.1:2476",
      registry: "127.0.0.1:5100",
      nodes: [
        {
          name: "alice-manager-0",
          role: "manager",
          privateIp: "10.42.0.10",
          publicIp: "127.0.0.1",
          sshAddress: ssh,
        },
        { name: "alice-worker-0", role: "worker", privateIp: "10.42.0.100" },
      ],
      hostKeys: {
        [ssh]: {
          server: "alice-manager-0",
          fingerprint: fingerprintOfPublicKeyLine(shownKey),
          pin: "urn:pulumi:alice::swarmlab::pulumi-nodejs:dynamic:Resource::alice-manager-0-host-key",
        },
      },
    };
    // No workspace reader: the class tool's own SSH handshake reads the key at the pin's address.
    return Object.assign(Object.create(workspace) as FakeClassWorkspace, {
      secretOutputs: async () => local,
      hostKey: undefined,
    });
  }

  it("pins [127.0.0.1]:<port> in known_hosts, as OpenSSH looks a non-22 port up", async () => {
    const results = await writeBundles(await localWorkspace(), ["alice"], dir, 1);
    expect(results).toEqual([{ id: "alice", dir: path.join(dir, "alice") }]);
    const knownHosts = path.join(dir, "alice", "known_hosts");
    expect(sshKeygen("-F", `[127.0.0.1]:${port}`, "-f", knownHosts)).toContain(
      `[127.0.0.1]:${port} ${shownKey} alice-manager-0`,
    );
    // Not under port 22: ssh would never use it for 127.0.0.1 alone.
    expect(sshKeygen("-F", "127.0.0.1", "-f", knownHosts)).toBe("");
  });

  it("gives ssh HostName 127.0.0.1 and the port, as ssh itself resolves the entry", async () => {
    await writeBundles(await localWorkspace(), ["alice"], dir, 1);
    const folder = path.join(dir, "alice");
    // `ssh -G` prints the configuration ssh would use for the host, without connecting.
    const resolved = execFileSync("ssh", ["-G", "-F", "ssh_config", "swarmlab-alice"], {
      cwd: folder,
      encoding: "utf8",
    }).split("\n");
    expect(resolved).toEqual(
      expect.arrayContaining([
        "hostname 127.0.0.1",
        `port ${port}`,
        "stricthostkeychecking true",
        "userknownhostsfile known_hosts",
      ]),
    );
    const data = JSON.parse(fs.readFileSync(path.join(folder, "bundle.json"), "utf8"));
    expect(data.dockerHost).toBe("tcp://127.0.0.1:2476");
    expect(data.managerSshAddress).toBe(`127.0.0.1:${port}`);
  });

  it("lets npm run check reach manager-0 at its port, from the bundle and from the outputs", async () => {
    const workspace = await localWorkspace();
    await writeBundles(workspace, ["alice"], dir, 1);
    const fromBundle = accessFromBundle(path.join(dir, "alice"));
    if ("error" in fromBundle) throw new Error(fromBundle.error);
    expect(fromBundle.managers).toEqual([`127.0.0.1:${port}`]);
    expect(fromBundle.hostKeys[`127.0.0.1:${port}`].fingerprint).toBe(
      fingerprintOfPublicKeyLine(shownKey),
    );
    const fromOutputs = accessFromOutputs("alice", await workspace.secretOutputs("alice"));
    if ("missing" in fromOutputs) throw new Error(fromOutputs.missing.join());
    expect(fromOutputs.managers).toEqual([`127.0.0.1:${port}`]);
  });
});
