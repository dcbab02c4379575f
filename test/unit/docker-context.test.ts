import type * as fs from "node:fs";
import {
  chmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeBundles } from "../../scripts/class/bundles";
import { FakeClassWorkspace } from "../../scripts/class/fake-workspace";
import {
  dockerCli,
  dockerContext,
  NO_DOCKER,
  NO_PULUMI,
  pulumiOutputs,
} from "../../scripts/docker-context/main";
import { labOutputs, planDockerContext } from "../../scripts/docker-context/plan";

const OUTPUTS = {
  dockerHost: "tcp://203.0.113.10:2376",
  registry: "203.0.113.10:5000",
  registryInternal: "10.42.0.10:5000",
  registryUser: "swarmlab",
  registryPassword: "pw0123456789",
  caCertificate: "CA PEM\n",
  clientCertificate: "CLIENT PEM\n",
  clientKey: "CLIENT KEY\n",
  managerPublicIp: "203.0.113.10",
};

describe("npm run docker-context", () => {
  it("plans a context with the client certificate and a login through it", () => {
    const plan = planDockerContext("alice", labOutputs("alice", OUTPUTS), "/home/s");
    expect(plan.context).toBe("swarmlab-alice");
    expect(plan.files.map((f) => [f.path, f.mode])).toEqual([
      ["/home/s/.docker/swarmlab/alice/ca.pem", 0o644],
      ["/home/s/.docker/swarmlab/alice/cert.pem", 0o644],
      ["/home/s/.docker/swarmlab/alice/key.pem", 0o600],
    ]);
    expect(plan.commands.map((c) => c.args)).toEqual([
      ["context", "rm", "--force", "swarmlab-alice"],
      [
        "context",
        "create",
        "swarmlab-alice",
        "--description",
        "swarmlab cluster of stack alice (manager-0, mutual TLS)",
        "--docker",
        "host=tcp://203.0.113.10:2376,ca=/home/s/.docker/swarmlab/alice/ca.pem," +
          "cert=/home/s/.docker/swarmlab/alice/cert.pem,key=/home/s/.docker/swarmlab/alice/key.pem",
      ],
      [
        "--context",
        "swarmlab-alice",
        "login",
        "--username",
        "swarmlab",
        "--password-stdin",
        "10.42.0.10:5000",
      ],
    ]);
    expect(plan.commands[2].stdin).toBe("pw0123456789");
    expect(JSON.stringify(plan.commands.map((c) => c.args))).not.toContain("pw0123456789");
  });

  it("says which outputs are missing and what to run", () => {
    expect(() => labOutputs("bob", { managerPublicIp: "203.0.113.10" })).toThrow(
      "stack bob has no output dockerHost, registry, registryInternal, registryUser, registryPassword, caCertificate, clientCertificate, clientKey: run `pulumi up --stack bob` first",
    );
  });

  it("reads the stack's outputs, writes the files and runs docker with them", async () => {
    const home = mkdtempSync(join(tmpdir(), "swarmlab-context-"));
    const calls: { args: string[]; stdin?: string }[] = [];
    const printed: string[] = [];
    const read = jest.fn(async () => OUTPUTS);
    await dockerContext(
      ["--stack", "alice"],
      read,
      async (args, stdin) => {
        calls.push({ args, stdin });
        return { exitCode: args[1] === "rm" ? 1 : 0, stderr: "" };
      },
      home,
      (line) => printed.push(line),
    );
    expect(read).toHaveBeenCalledWith("alice");
    const key = join(home, ".docker/swarmlab/alice/key.pem");
    expect(readFileSync(key, "utf8")).toBe("CLIENT KEY\n");
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(calls.map((c) => c.args.slice(0, 3))).toEqual([
      ["context", "rm", "--force"],
      ["context", "create", "swarmlab-alice"],
      ["--context", "swarmlab-alice", "login"],
    ]);
    expect(printed.join("\n")).toContain("docker --context swarmlab-alice node ls");
    expect(printed.join("\n")).not.toContain("pw0123456789");
  });

  it("fails with docker's message when the context cannot be created", async () => {
    await expect(
      dockerContext(
        ["--stack", "alice"],
        async () => OUTPUTS,
        async (args) => ({ exitCode: 1, stderr: `${args[1]} refused` }),
        mkdtempSync(join(tmpdir(), "swarmlab-context-")),
        () => undefined,
      ),
    ).rejects.toThrow("docker context create swarmlab-alice failed: create refused");
  });
});

describe("npm run docker-context without Pulumi (issue 24)", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "swarmlab-bundle-context-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("--bundle starts from the teacher's folder: no Pulumi read, that student's keys", async () => {
    const workspace = new FakeClassWorkspace({ delayMs: 0 });
    await workspace.up("alice");
    await workspace.up("bob");
    await writeBundles(workspace, ["alice", "bob"], join(dir, "bundles"), 1);
    const home = join(dir, "home");
    const calls: { args: string[]; stdin?: string }[] = [];
    const read = jest.fn(async () => OUTPUTS);
    await dockerContext(
      ["--bundle", join(dir, "bundles", "bob")],
      read,
      async (args, stdin) => {
        calls.push({ args, stdin });
        return { exitCode: 0, stderr: "" };
      },
      home,
      () => undefined,
    );
    expect(read).not.toHaveBeenCalled();
    expect(readFileSync(join(home, ".docker/swarmlab/bob/key.pem"), "utf8")).toBe(
      "CLIENT KEY of bob\n",
    );
    expect(calls[1].args).toContain(
      `host=tcp://203.0.113.11:2376,ca=${home}/.docker/swarmlab/bob/ca.pem,` +
        `cert=${home}/.docker/swarmlab/bob/cert.pem,key=${home}/.docker/swarmlab/bob/key.pem`,
    );
    expect(calls[2].stdin).toBe("registry password of bob");
  });

  it("--bundle names a folder that is not a bundle", async () => {
    await expect(
      dockerContext(["--bundle", dir], undefined, undefined, dir, () => undefined),
    ).rejects.toThrow(`${join(dir, "bundle.json")} not found: give the folder your teacher`);
  });

  it("without the Pulumi CLI says to use a bundle, not `spawn pulumi ENOENT`", async () => {
    const saved = process.env.PATH;
    process.env.PATH = dir; // an empty folder: no pulumi on PATH
    try {
      await expect(pulumiOutputs("alice")).rejects.toThrow(NO_PULUMI);
    } finally {
      process.env.PATH = saved;
    }
    expect(NO_PULUMI).toContain("npm run docker-context -- --bundle <folder>");
  });
});

describe("docker-context's errors a student can act on (issue 26, item 10)", () => {
  let dir: string;
  let saved: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "swarmlab-context-errors-"));
    saved = process.env.PATH;
  });
  afterEach(() => {
    process.env.PATH = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it("without docker on PATH says so and writes no key file", async () => {
    // The real spawn of a command that is not on PATH: Node's 'error' event with code ENOENT.
    const home = join(dir, "home");
    mkdirSync(home);
    process.env.PATH = join(dir, "empty");
    await expect(
      dockerContext(
        ["--stack", "alice"],
        async () => OUTPUTS,
        dockerCli,
        home,
        () => undefined,
      ),
    ).rejects.toThrow(NO_DOCKER);
    expect(() => statSync(join(home, ".docker"))).toThrow("ENOENT");
  });

  it("a pulumi that prints something other than JSON is named, not a SyntaxError", async () => {
    // Stands in for a pulumi CLI whose stdout is not the JSON object `stack output --json`
    // documents (e.g. an old CLI's banner on stdout): a script of that name first on PATH.
    const bin = join(dir, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "pulumi"), "#!/bin/sh\necho 'A new version of Pulumi is available'\n", {
      mode: 0o755,
    });
    process.env.PATH = `${bin}:${saved ?? ""}`;
    await expect(pulumiOutputs("alice")).rejects.toThrow(
      'pulumi stack output --stack alice printed no JSON object (it began "A new version of Pulumi is available"): run `pulumi stack output --json --stack alice` yourself to see why',
    );
  });
});

describe("docker-context's key files (issue 24, item 6)", () => {
  let home: string;
  const run = () =>
    dockerContext(
      ["--stack", "alice"],
      async () => OUTPUTS,
      async () => ({ exitCode: 0, stderr: "" }),
      home,
      () => undefined,
    );
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), "swarmlab-context-modes-"));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(home, { recursive: true, force: true });
  });

  it("the key is 0600 when its first byte is written, also over an old 0644 file", async () => {
    const dir = join(home, ".docker/swarmlab/alice");
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, "key.pem"), "old\n", { mode: 0o644 });
    chmodSync(join(dir, "key.pem"), 0o644);
    const modes: number[] = [];
    // The module object itself (the script calls through it), not an import namespace.
    const nodeFs = jest.requireActual<typeof fs>("node:fs");
    const real = nodeFs.writeSync;
    jest.spyOn(nodeFs, "writeSync").mockImplementation(((fd: number, ...rest: unknown[]) => {
      const data = rest[0];
      if (Buffer.isBuffer(data) && data.toString().includes("CLIENT KEY")) {
        modes.push(fstatSync(fd).mode & 0o777);
      }
      return (real as (...args: unknown[]) => number)(fd, ...rest);
    }) as typeof fs.writeSync);
    await run();
    expect(modes).toEqual([0o600]);
    expect(statSync(join(dir, "key.pem")).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it("does not write the key through a link planted at its path", async () => {
    const dir = join(home, ".docker/swarmlab/alice");
    mkdirSync(dir, { recursive: true });
    const readable = join(home, "readable-by-all");
    writeFileSync(readable, "nothing\n", { mode: 0o644 });
    symlinkSync(readable, join(dir, "key.pem"));
    await run();
    expect(readFileSync(readable, "utf8")).toBe("nothing\n");
    expect(lstatSync(join(dir, "key.pem")).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(dir, "key.pem"), "utf8")).toBe("CLIENT KEY\n");
  });
});
