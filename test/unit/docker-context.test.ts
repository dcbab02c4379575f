import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dockerContext } from "../../scripts/docker-context/main";
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
