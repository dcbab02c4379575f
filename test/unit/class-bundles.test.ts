/**
 * Issue 24, item 1: `npm run class -- bundles` gives each student a private folder with their
 * own material only, and its docker context imports with the real docker CLI.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bundleSource, renderGuide, renderSshConfig } from "../../scripts/bundle/contents";
import { writeBundles } from "../../scripts/class/bundles";
import { FakeClassWorkspace } from "../../scripts/class/fake-workspace";
import { main } from "../../scripts/class/main";

async function classUp(ids: string[]): Promise<FakeClassWorkspace> {
  const workspace = new FakeClassWorkspace({ delayMs: 0 });
  for (const id of ids) await workspace.up(id);
  return workspace;
}

/** Every file of a folder tree with its content, by path relative to the folder. */
function tree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files.set(path.relative(dir, file), fs.readFileSync(file));
  }
  return files;
}

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe("npm run class -- bundles", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "class-bundles-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("writes one bundle per student, with only that student's material", async () => {
    const workspace = await classUp(["alice", "bob"]);
    const out = path.join(dir, "bundles");
    const results = await writeBundles(workspace, ["alice", "bob"], out, 2);
    expect(results).toEqual([
      { id: "alice", dir: path.join(out, "alice") },
      { id: "bob", dir: path.join(out, "bob") },
    ]);
    expect(fs.readdirSync(out).sort()).toEqual(["alice", "bob"]);
    const alice = tree(path.join(out, "alice"));
    const bob = tree(path.join(out, "bob"));
    expect([...alice.keys()].sort()).toEqual([
      "README.txt",
      "bundle.json",
      "docker-context.tar",
      "known_hosts",
      "registry-password",
      "ssh-key",
      "ssh_config",
      "stack-secrets",
    ]);
    const secrets = async (id: string) => {
      const outputs = await workspace.secretOutputs(id);
      return [
        outputs.sshPrivateKey,
        outputs.registryPassword,
        outputs.clientKey,
        outputs.clientCertificate,
        outputs.caCertificate,
        outputs.managerPublicIp,
        (outputs.stackSecrets as Record<string, string>).mediawiki_db_password,
        // Not a secret, but only this student's manager: the other's known_hosts lacks it.
        workspace.pinnedHostKey(id).split(" ")[1],
      ] as string[];
    };
    const everything = (files: Map<string, Buffer>) =>
      [...files.values()].map((b) => b.toString("latin1")).join("\n");
    for (const secret of await secrets("alice")) {
      expect(everything(alice)).toContain(secret.trim());
      expect(everything(bob)).not.toContain(secret.trim());
    }
    for (const secret of await secrets("bob")) {
      expect(everything(bob)).toContain(secret.trim());
      expect(everything(alice)).not.toContain(secret.trim());
    }
    // Nothing names the other student at all.
    expect(everything(alice)).not.toMatch(/bob/);
    expect(everything(bob)).not.toMatch(/alice/);
    expect(alice.get("ssh-key")?.toString()).toBe("SSH KEY of alice\n");
    expect(alice.get("registry-password")?.toString()).toBe("registry password of alice");
    // The secrets the stacks were given, which a student cannot read without Pulumi otherwise.
    expect(alice.get("stack-secrets")?.toString()).toBe(
      "mediawiki_db_password: db password of alice\n",
    );
  });

  it("makes the folders 0700 and every file 0600, also over files left 0644", async () => {
    const workspace = await classUp(["alice"]);
    const out = path.join(dir, "bundles");
    const mine = path.join(out, "alice");
    fs.mkdirSync(mine, { recursive: true, mode: 0o755 });
    fs.chmodSync(out, 0o755);
    fs.chmodSync(mine, 0o755);
    const old = path.join(mine, "ssh-key");
    fs.writeFileSync(old, "old key\n", { mode: 0o644 });
    fs.chmodSync(old, 0o644);
    // A hard link to the old key elsewhere must not receive the new key.
    const elsewhere = path.join(dir, "readable-by-all");
    fs.linkSync(old, elsewhere);
    await writeBundles(workspace, ["alice"], out, 1);
    expect(mode(out)).toBe(0o700);
    expect(mode(mine)).toBe(0o700);
    for (const name of fs.readdirSync(mine))
      expect([name, mode(path.join(mine, name))]).toEqual([name, 0o600]);
    expect(fs.readFileSync(old, "utf8")).toBe("SSH KEY of alice\n");
    expect(fs.readFileSync(elsewhere, "utf8")).toBe("old key\n");
  });

  it("says which students have no cluster to bundle yet", async () => {
    const workspace = await classUp(["alice"]);
    const results = await writeBundles(workspace, ["alice", "carol"], path.join(dir, "b"), 1);
    expect(results[1]).toEqual({
      id: "carol",
      problem: expect.stringContaining(
        "no output dockerHost, registry, registryInternal, registryUser, registryPassword,",
      ),
    });
    expect(results[1].problem).toContain("npm run class -- up --only carol");
    expect(fs.existsSync(path.join(dir, "b", "carol"))).toBe(false);
  });

  it("is a class verb: --out and --only pick the folder and the students", async () => {
    const workspace = await classUp(["alice", "bob"]);
    fs.writeFileSync(
      path.join(dir, "class.yaml"),
      "class:\n  swarmlab: { allowedCidrs: [203.0.113.0/24] }\nstudents: [alice, bob]\n",
    );
    const said: string[] = [];
    const quiet = ["log", "warn", "error"].map((method) =>
      jest.spyOn(console, method as "log").mockImplementation((line: unknown) => {
        said.push(String(line));
      }),
    );
    try {
      const version = () => Promise.resolve("v3.270.0\n");
      expect(await main(["init"], dir, version)).toBe(0);
      const code = await main(
        ["bundles", "--out", "handout", "--only", "bob"],
        dir,
        version,
        () => workspace,
      );
      expect({ code, said: said.join("\n") }).toMatchObject({ code: 0 });
    } finally {
      for (const spy of quiet) spy.mockRestore();
    }
    expect(fs.readdirSync(path.join(dir, "handout"))).toEqual(["bob"]);
    // The table names folders, never a secret.
    expect(said.join("\n")).toContain(path.join(dir, "handout", "bob"));
    expect(said.join("\n")).not.toContain("registry password of bob");
  });
});

describe("the bundle's docker context, with the real docker CLI", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-docker-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("imports with `docker context import` and points at the student's manager over TLS", async () => {
    const workspace = await classUp(["alice", "bob"]);
    await writeBundles(workspace, ["alice", "bob"], path.join(dir, "bundles"), 1);
    // A private DOCKER_CONFIG: the user's contexts are untouched.
    const env = { ...process.env, DOCKER_CONFIG: path.join(dir, "docker-config") };
    const docker = (...args: string[]) =>
      execFileSync("docker", args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    docker("context", "import", "swarmlab-bob", path.join(dir, "bundles/bob/docker-context.tar"));
    const [context] = JSON.parse(docker("--context", "swarmlab-bob", "context", "inspect")) as {
      Name: string;
      Metadata: { Description: string };
      Endpoints: { docker: { Host: string; SkipTLSVerify: boolean } };
      Storage: { TLSPath: string };
    }[];
    expect(context.Name).toBe("swarmlab-bob");
    expect(context.Endpoints.docker).toEqual({
      Host: "tcp://203.0.113.11:2376",
      SkipTLSVerify: false,
    });
    expect(context.Metadata.Description).toContain("stack bob");
    const tls = path.join(context.Storage.TLSPath, "docker");
    expect(fs.readFileSync(path.join(tls, "key.pem"), "utf8")).toBe("CLIENT KEY of bob\n");
    expect(fs.readFileSync(path.join(tls, "cert.pem"), "utf8")).toBe("CLIENT CERT of bob\n");
    expect(fs.readFileSync(path.join(tls, "ca.pem"), "utf8")).toBe("CA of bob\n");
    // `context ls` shows it as the docker CLI's own context.
    expect(docker("context", "ls", "--format", "{{.Name}} {{.DockerEndpoint}}")).toContain(
      "swarmlab-bob tcp://203.0.113.11:2376",
    );
  });
});

describe("the bundle's texts", () => {
  it("an ssh_config entry with the bundle's key and its own known_hosts", async () => {
    const source = bundleSource("alice", await (await classUp(["alice"])).secretOutputs("alice"));
    if ("missing" in source) throw new Error("fake outputs are complete");
    expect(renderSshConfig(source.data)).toBe(
      [
        "Host swarmlab-alice",
        "  HostName 203.0.113.10",
        "  User ubuntu",
        "  IdentityFile ssh-key",
        "  IdentitiesOnly yes",
        "  UserKnownHostsFile known_hosts",
        "  StrictHostKeyChecking yes",
        "  HostKeyAlgorithms ssh-ed25519",
        "",
      ].join("\n"),
    );
    const guide = renderGuide(source.data);
    expect(guide).toContain("docker context import swarmlab-alice docker-context.tar");
    expect(guide).toContain(
      "docker --context swarmlab-alice login --username swarmlab --password-stdin 10.42.0.10:5000 < registry-password",
    );
    expect(guide).toContain("ssh -F ssh_config swarmlab-alice");
    expect(guide).toContain("web  web:80  http://203.0.113.10:8080");
    expect(guide).toContain("npm run docker-context -- --bundle <this folder>");
    // The guide says what to type; the password stays in its own file.
    expect(guide).not.toContain("registry password of alice");
    expect(guide.split("\n").length).toBeLessThanOrEqual(60);
  });
});
