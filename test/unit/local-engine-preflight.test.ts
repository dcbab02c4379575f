/**
 * The local cloud's pre-flight in the program (infra/local/engine-preflight.ts): before any
 * resource, the Docker engine DOCKER_HOST names is asked what it holds, and what would make
 * `pulumi up` fail half-way fails the preview instead, every problem at once. The engine is the
 * fake one of support/fake-engine.ts (a real HTTP server on a unix socket, in the Engine API's
 * shapes), reached through DOCKER_HOST as a user points @pulumi/docker at an engine.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineContainer, EngineNetwork } from "../../infra/local/engine-facts";
import { openSecrets } from "./support/mock-cloud";
import { useFakeEngine } from "./support/fake-engine";
import { names, nextDeployment, ProgramRun, runProgram, swarmStdout } from "./support/program";

const fake = useFakeEngine();

const LOCAL = { cloud: "docker", allowedCidrs: '["127.0.0.1/32"]', mtu: "1450" };
const stdout = swarmStdout(names("alice", 1, 2));
const OWNER = "org.swarmlab.owner";

function preview(keys: Record<string, string> = LOCAL): Promise<ProgramRun> {
  return runProgram(keys, "alice", stdout, { glance: [], preview: true });
}

/** The program's InputPropertiesError as `pulumi preview` prints it: one reason per property. */
function problemsOf(error: unknown): { propertyPath: string; reason: string }[] {
  expect(error).toBeInstanceOf(pulumi.InputPropertiesError);
  return (error as pulumi.InputPropertiesError).errors ?? [];
}

/** Another student's lab on the same engine, as dockerd lists it (GET /networks). */
function bobsNetwork(subnet = "10.42.0.0/24"): EngineNetwork {
  return {
    Name: "bob-swarmlab",
    Id: "b0b",
    Driver: "bridge",
    IPAM: { Config: [{ Subnet: subnet, Gateway: subnet.replace(/0\/\d+$/, "1") }] },
    Labels: { [OWNER]: "bob" },
  };
}

/** A container of someone else publishing 127.0.0.1:`port` (GET /containers/json). */
function otherContainer(name: string, port: number, ip = "127.0.0.1"): EngineContainer {
  return {
    Id: `${name}-id`,
    Names: [`/${name}`],
    State: "running",
    Ports: [{ IP: ip, PrivatePort: 22, PublicPort: port, Type: "tcp" }],
    Labels: {},
  };
}

/**
 * What dockerd lists after `run` was deployed: its network and its running containers with the
 * labels and 127.0.0.1 ports the program gave them (the docker provider creates exactly those).
 */
function engineAfter(run: ProgramRun): {
  networks: EngineNetwork[];
  containers: EngineContainer[];
} {
  const labelsOf = (inputs: Record<string, unknown>) =>
    Object.fromEntries(
      ((inputs.labels ?? []) as { label: string; value: string }[]).map((l) => [l.label, l.value]),
    );
  const networks = run.ofType("docker:index/network:Network").map((network) => ({
    Name: String(network.inputs.name),
    Id: network.id,
    Driver: "bridge",
    IPAM: {
      Config: ((network.inputs.ipamConfigs ?? []) as { subnet: string }[]).map((config) => ({
        Subnet: config.subnet,
      })),
    },
    Labels: labelsOf(network.inputs),
  }));
  const containers = run.ofType("docker:index/container:Container").map((container) => {
    const inputs = openSecrets(container.inputs) as Record<string, unknown>;
    const ports = (inputs.ports ?? []) as {
      internal: number;
      external: number;
      ip: string;
      protocol?: "tcp" | "udp";
    }[];
    return {
      Id: container.id,
      Names: [`/${String(inputs.name)}`],
      State: "running",
      Ports: ports.map((port) => ({
        IP: port.ip,
        PrivatePort: port.internal,
        PublicPort: port.external,
        Type: port.protocol ?? "tcp",
      })),
      Labels: labelsOf(inputs),
    };
  });
  return { networks, containers };
}

describe("the local cloud's engine pre-flight", () => {
  it("asks the engine DOCKER_HOST names for its networks and containers, and passes on an empty one", async () => {
    const run = await preview();
    expect(run.error).toBeUndefined();
    expect(fake.current().requests).toEqual(
      expect.arrayContaining(["/_ping", "/networks", "/containers/json?all=1", "/info"]),
    );
  });

  it("fails the preview when another network has the subnet, naming it and a free /24", async () => {
    fake.current().reset();
    fake.current().state.networks = [bobsNetwork("10.42.0.0/24"), bobsNetwork("10.42.1.0/24")];
    fake.current().state.networks[1].Name = "carol-swarmlab";
    const run = await preview();
    expect(problemsOf(run.error)).toEqual([
      {
        propertyPath: "swarmlab:cidr",
        reason:
          'is 10.42.0.0/24, which overlaps 10.42.0.0/24, the subnet of the Docker network "bob-swarmlab" ' +
          'on this engine: Docker refuses a second bridge on an address range in use ("Pool overlaps ' +
          'with other one on this address space"); use a subnet no network of this engine has: ' +
          "`pulumi config set swarmlab:cidr 10.42.2.0/24`",
      },
    ]);
    // Nothing was declared: the preview stopped before the first resource.
    expect(run.resources.filter((r) => r.type.startsWith("docker:"))).toEqual([]);
  });

  it("fails the preview when another container publishes one of the stack's ports", async () => {
    fake.current().reset();
    fake.current().state.containers = [otherContainer("someone-sshd", 2222, "0.0.0.0")];
    const run = await preview();
    expect(problemsOf(run.error)).toEqual([
      {
        propertyPath: "swarmlab:localPortOffset",
        reason:
          'puts SSH of manager-0 on 127.0.0.1:2222, but the container "someone-sshd" already ' +
          "publishes 0.0.0.0:2222 on this engine, so Docker would refuse the node's container; " +
          "use an offset whose ports are free: `pulumi config set swarmlab:localPortOffset 100`",
      },
    ]);
  });

  it("fails the preview when another container holds a port a stack publishes (its forwarder's)", async () => {
    fake.current().reset();
    // The default stacks publish hostname's web on 8080; a student's own web server holds it.
    fake.current().state.containers = [otherContainer("my-dev-server", 8080, "0.0.0.0")];
    const run = await preview();
    expect(problemsOf(run.error)).toEqual([
      {
        propertyPath: "swarmlab:localPortOffset",
        reason:
          "puts the stacks' port 8080/tcp (service web) on 127.0.0.1:8080, but the container " +
          '"my-dev-server" already publishes 0.0.0.0:8080 on this engine, so Docker would refuse ' +
          "its forwarder container; use an offset whose ports are free: " +
          "`pulumi config set swarmlab:localPortOffset 100`",
      },
    ]);
    expect(run.resources.filter((r) => r.type.startsWith("docker:"))).toEqual([]);
  });

  it("lists every problem at once: the subnet and each taken port", async () => {
    fake.current().reset();
    fake.current().state.networks = [bobsNetwork()];
    // Bob's stack at offset 0 holds the same ports as alice's would.
    fake.current().state.containers = [
      { ...otherContainer("bob-manager-0", 2222), Labels: { [OWNER]: "bob" } },
      { ...otherContainer("bob-registry-of-sorts", 5000), Labels: { [OWNER]: "bob" } },
    ];
    const run = await preview();
    expect(problemsOf(run.error).map((p) => [p.propertyPath, p.reason.split(",")[0]])).toEqual([
      ["swarmlab:cidr", "is 10.42.0.0/24"],
      ["swarmlab:localPortOffset", "puts SSH of manager-0 on 127.0.0.1:2222"],
      ["swarmlab:localPortOffset", "puts the lab registry on 127.0.0.1:5000"],
    ]);
    expect(String((run.error as Error).message)).toMatch(/^swarmlab configuration has 3 problems/);
  });

  it("passes a second run, where the engine holds the stack's own network and containers", async () => {
    fake.current().reset();
    const first = await runProgram(LOCAL, "alice", stdout, { glance: [] });
    expect(first.error).toBeUndefined();
    const held = engineAfter(first);
    // The first deployment's objects, as dockerd lists them: a real overlap and real port clashes
    // but for their owner label.
    expect(held.networks.map((n) => n.Name)).toEqual(["alice-swarmlab"]);
    // The nodes' ports and the stacks' forwarder's (hostname's web on 8080).
    expect(held.containers.flatMap((c) => c.Ports ?? []).map((p) => p.PublicPort)).toEqual(
      expect.arrayContaining([2222, 2376, 5000, 8080]),
    );
    fake.current().state.networks = held.networks;
    fake.current().state.containers = held.containers;
    const { run } = await nextDeployment(first, "alice", LOCAL, stdout, { preview: true });
    expect(run.error).toBeUndefined();
    // And the same objects under another owner are refused: the label is what makes them ours.
    fake.current().state.networks = held.networks.map((n) => ({ ...n, Labels: { [OWNER]: "x" } }));
    const other = await preview();
    expect(problemsOf(other.error).map((p) => p.propertyPath)).toEqual(["swarmlab:cidr"]);
  });

  it("fails the preview when no engine answers, naming the address, the error and the fix", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-no-engine-"));
    const before = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${dir}/docker.sock`;
    try {
      const run = await preview();
      expect(problemsOf(run.error)).toEqual([
        {
          propertyPath: "swarmlab:cloud",
          reason: expect.stringContaining(
            `is docker, but no Docker engine answers at unix://${dir}/docker.sock (`,
          ),
        },
      ]);
      const [{ reason }] = problemsOf(run.error);
      expect(reason).toMatch(/ENOENT/);
      expect(reason).toMatch(
        /start Docker Desktop \(or dockerd\), or point DOCKER_HOST or `pulumi config set docker:host/,
      );
      expect(run.resources.filter((r) => r.type.startsWith("docker:"))).toEqual([]);
    } finally {
      process.env.DOCKER_HOST = before;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("warns, and does not fail, when the engine is one it cannot read (ssh://)", async () => {
    const before = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = "ssh://student@build-host";
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const run = await preview();
      expect(run.error).toBeUndefined();
      expect(warn.mock.calls.map((call) => String(call[0]))).toContainEqual(
        expect.stringContaining(
          "the Docker engine checks did not run: the engine at ssh://student@build-host cannot be " +
            "read by the pre-flight (it is reached over SSH",
        ),
      );
    } finally {
      warn.mockRestore();
      process.env.DOCKER_HOST = before;
    }
  });
});
