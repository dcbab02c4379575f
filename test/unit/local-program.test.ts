/**
 * The program with `swarmlab:cloud: docker`, run under the SDK's mocks (support/program.ts). The
 * mock provider answers each docker resource with its inputs as outputs, as @pulumi/docker's
 * Container, Network, Volume and Image return them (the Terraform docker provider's schema keeps
 * every argument as an output attribute; the Container's `id` is the new container's id, which
 * the mock makes `<resource name>-id`). No docker provider runs here: the containers themselves
 * are booted for real, from the same description, by the system test.
 */
import { useFakeEngine } from "./support/fake-engine";
import { clusterNodes } from "../../infra/config/naming";
import { expectedContainerArgs } from "./support/local-expected";
import {
  HOST_KEY_PIN_SUFFIX,
  MANAGER_STEP,
  mockHostKeyFingerprint,
  names,
  ProgramRun,
  runProgram,
  secretValue,
  swarmStdout,
  valueOf,
} from "./support/program";
import { openSecrets as unwrap } from "./support/mock-cloud";
import { FORWARD_SCRIPT } from "../../infra/stacks/local-port-forwarder";
import { templateFile } from "../../infra/nodes/templates";

// The engine the pre-flight asks (infra/local/engine-preflight.ts): an empty one.
useFakeEngine();

const CONTAINER = "docker:index/container:Container";
const LOCAL = { cloud: "docker", allowedCidrs: '["127.0.0.1/32"]', mtu: "1450" };
const OPENSTACK = { allowedCidrs: '["203.0.113.0/24"]', mtu: "1450" };
const stdout = swarmStdout(names("alice", 1, 2));

/** The node containers (LocalNode's `<node>-container`), not the stacks' port forwarders. */
function nodeContainers(run: ProgramRun): ProgramRun["resources"] {
  return run.ofType(CONTAINER).filter((r) => r.name.endsWith("-container"));
}

/** The outputs a laptop uses: the Docker API, the registry and manager-0's SSH, on 127.0.0.1. */
async function expectLaptopOutputs(
  run: ProgramRun,
  ports: { ssh: number; dockerApi: number; registry: number },
): Promise<void> {
  expect(await valueOf(run.exports.dockerHost)).toBe(`tcp://127.0.0.1:${ports.dockerApi}`);
  expect(await valueOf(run.exports.registry)).toBe(`127.0.0.1:${ports.registry}`);
  expect(await valueOf(run.exports.sshCommand)).toMatch(
    new RegExp(`ssh -i alice\\.pem -p ${ports.ssh} ubuntu@127\\.0\\.0\\.1$`),
  );
}

async function deploy(keys: Record<string, string>): Promise<ProgramRun> {
  // No Glance images at all: the local cloud must not look one up (an OpenStack run would fail).
  const run = await runProgram(keys, "alice", stdout, { glance: [] });
  if (run.error !== undefined) throw run.error;
  return run;
}

describe("the program with swarmlab:cloud docker", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await deploy(LOCAL);
  });

  it("declares docker resources and no OpenStack resource", () => {
    const types = run.resources.map((r) => r.type);
    expect(types.filter((type) => type.startsWith("openstack:"))).toEqual([]);
    expect(run.ofType("docker:index/network:Network")).toHaveLength(1);
    expect(run.ofType("docker:index/image:Image")).toHaveLength(1);
    expect(run.ofType("docker:index/volume:Volume")).toHaveLength(3);
    expect(nodeContainers(run).map((r) => r.inputs.name)).toEqual(names("alice", 1, 2));
    // And one forwarder of the default stack's port (hostname's 8080), nothing else.
    expect(
      run
        .ofType(CONTAINER)
        .map((r) => r.inputs.name)
        .sort(),
    ).toEqual([...names("alice", 1, 2), "alice-port-8080-tcp"].sort());
  });

  it("makes the lab network a bridge with the config's subnet and MTU", () => {
    const [network] = run.ofType("docker:index/network:Network");
    expect(network.inputs).toMatchObject({
      name: "alice-swarmlab",
      driver: "bridge",
      ipamConfigs: [{ subnet: "10.42.0.0/24", gateway: "10.42.0.1" }],
      options: { "com.docker.network.driver.mtu": "1450" },
    });
  });

  it("builds the node image from infra/local/image and keeps it on this engine", () => {
    const [image] = run.ofType("docker:index/image:Image");
    expect(image.inputs).toMatchObject({
      skipPush: true,
      build: { args: { SSH_USER: "ubuntu" } },
    });
    expect(String((image.inputs.build as { context: string }).context)).toMatch(
      /infra\/local\/image$/,
    );
    expect(String(image.inputs.imageName)).toMatch(/^swarmlab-local-node:[0-9a-f]{16}$/);
  });

  it("gives every container exactly the builder's settings, seed files included", async () => {
    const [image] = run.ofType("docker:index/image:Image");
    for (const identity of clusterNodes("alice", 1, 2)) {
      const recorded = unwrap(
        run.byName(`alice-${identity.role}-${identity.index}-container`).inputs,
      ) as {
        uploads: { file: string; content: string }[];
      };
      const metaData = JSON.parse(recorded.uploads[0].content);
      const expected = expectedContainerArgs({
        stack: "alice",
        keys: LOCAL,
        identity,
        image: String(image.inputs.imageName),
        address:
          identity.role === "manager"
            ? `10.42.0.${10 + identity.index}`
            : `10.42.0.${100 + identity.index}`,
        metaData,
        mtu: 1450,
      });
      expect(recorded).toEqual(unwrap(expected));
      // Nova's shape, with the node's own metadata: role, and the join facts for the others.
      expect(metaData).toMatchObject({ name: identity.name, meta: { swarm_role: identity.role } });
      expect(Object.keys(metaData.public_keys)).toEqual(["default"]);
    }
  });

  it("keeps the join token secret: the seed upload is a secret input and output", () => {
    const worker = run.byName("alice-worker-0-container");
    expect(secretValue(worker.inputs.uploads)).not.toBe(worker.inputs.uploads);
    expect(worker.additionalSecretOutputs).toContain("uploads");
  });

  it("publishes only manager ports, on 127.0.0.1, and reaches sshd through them", async () => {
    const ports = nodeContainers(run).map((r) => [r.inputs.name, unwrap(r.inputs.ports)]);
    expect(ports).toEqual([
      [
        "alice-manager-0",
        [
          { internal: 22, external: 2222, ip: "127.0.0.1", protocol: "tcp" },
          { internal: 2376, external: 2376, ip: "127.0.0.1", protocol: "tcp" },
          { internal: 5000, external: 5000, ip: "127.0.0.1", protocol: "tcp" },
        ],
      ],
      ["alice-worker-0", []],
      ["alice-worker-1", []],
    ]);
    const bootstrap = run.byName("alice-bootstrap-tokens");
    expect(unwrap(bootstrap.inputs.managers)).toEqual(["127.0.0.1:2222"]);
    expect(run.byName(`alice-manager-0${HOST_KEY_PIN_SUFFIX}`).inputs.address).toBe(
      "127.0.0.1:2222",
    );
    await expectLaptopOutputs(run, { ssh: 2222, dockerApi: 2376, registry: 5000 });
    expect(await valueOf(run.exports.cloud)).toBe("docker");
  });
});

describe("the program with swarmlab:localImage", () => {
  // The mock provider creates whatever it is given. What the real provider does with the name
  // (kreuzwerker/terraform-provider-docker, internal/provider/resource_docker_container_funcs.go):
  // the Container's create calls findImage (resource_docker_image_funcs.go), which uses the image
  // if the engine has it (searchLocalImages) and pulls it only if not; deleting the container
  // never removes the image. So the program declares no image resource: nothing to build, and
  // nothing that `pulumi destroy` could remove of the teacher's image.
  let run: ProgramRun;
  beforeAll(async () => {
    run = await deploy({ ...LOCAL, localImage: "swarmlab-node:docker" });
  });

  it("builds no image and declares no image resource at all", () => {
    const imageTypes = run.resources
      .map((r) => r.type)
      .filter((type) => /^docker:index\/(image|remoteImage):/.test(type));
    expect(imageTypes).toEqual([]);
  });

  it("boots every node container from the configured image, by its name", () => {
    expect(nodeContainers(run).map((r) => [r.inputs.name, r.inputs.image])).toEqual(
      names("alice", 1, 2).map((name) => [name, "swarmlab-node:docker"]),
    );
    // The stacks' port forwarders run the node image too (it has socat): the configured one.
    expect(run.byName("alice-stack-ports-8080-tcp").inputs.image).toBe("swarmlab-node:docker");
  });

  it("names the image in the output and in the rebuild key, as the config does", async () => {
    expect(await valueOf(run.exports.image)).toEqual({
      name: "swarmlab-node:docker",
      id: "swarmlab-node:docker",
    });
    const built = await deploy(LOCAL);
    expect(await valueOf(run.exports.rebuildKey)).not.toEqual(
      await valueOf(built.exports.rebuildKey),
    );
  });
});

describe("both clouds, one config", () => {
  let local: ProgramRun;
  let openstack: ProgramRun;
  beforeAll(async () => {
    local = await deploy(LOCAL);
    openstack = await runProgram(OPENSTACK, "alice", stdout);
    if (openstack.error !== undefined) throw openstack.error;
  });

  /** Every swarm, CA, registry and stack step by name, addresses and ids replaced by roles. */
  async function steps(run: ProgramRun): Promise<Record<string, unknown>> {
    const nodes = (await valueOf(run.exports.nodes)) as {
      name: string;
      privateIp: string;
      publicIp?: string;
      sshAddress?: string;
    }[];
    const replacements: [string, string][] = [];
    for (const node of nodes) {
      if (node.sshAddress) replacements.push([node.sshAddress, `<${node.name} ssh>`]);
      if (node.publicIp) replacements.push([node.publicIp, `<${node.name} public>`]);
      replacements.push([node.privateIp, `<${node.name} private>`]);
    }
    for (const resource of run.resources) {
      if (/-(server|container)$/.test(resource.name)) {
        const node = resource.name.replace(/-(server|container)$/, "");
        replacements.push([resource.id, `<${node} id>`]);
        // The host key the mock shows for that server (mock-cloud.ts: one per server id).
        replacements.push([mockHostKeyFingerprint(resource.id), `<${node} host key>`]);
      }
    }
    const normalise = (text: string) =>
      // Longest first: 10.42.0.10 is a prefix of 10.42.0.100.
      [...replacements]
        .sort(([a], [b]) => b.length - a.length)
        .reduce((acc, [from, to]) => acc.split(from).join(to), text)
        .replace(/<alice-(manager|worker)-\d+ (public|ssh)>/g, "<way in>");
    // The provider's code is compared as it is: the same module for both clouds.
    const of = run.ofType(MANAGER_STEP).map((r) => {
      const { __provider: provider, ...inputs } = unwrap(r.inputs) as Record<string, unknown>;
      return [r.name, { provider, inputs: JSON.parse(normalise(JSON.stringify(inputs))) }];
    });
    return Object.fromEntries(of);
  }

  it("gives the same swarm, registry and stack steps, modulo addresses, ports and ids", async () => {
    const [fromLocal, fromOpenstack] = [await steps(local), await steps(openstack)];
    expect(Object.keys(fromLocal).sort()).toEqual(Object.keys(fromOpenstack).sort());
    expect(Object.keys(fromLocal)).toEqual(
      expect.arrayContaining(["alice-bootstrap-tokens", "alice-registry-deploy"]),
    );
    for (const name of Object.keys(fromOpenstack)) {
      expect([name, fromLocal[name]]).toEqual([name, fromOpenstack[name]]);
    }
  });
});

describe("swarmlab:localPortOffset: a second local stack on the same machine", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    const result = await runProgram(
      { ...LOCAL, localPortOffset: "100", managers: "3", workers: "1" },
      "alice",
      swarmStdout(names("alice", 3, 1)),
      { glance: [] },
    );
    if (result.error !== undefined) throw result.error;
    run = result;
  });

  it("publishes every manager port plus the offset, and every step and output uses them", async () => {
    const ports = nodeContainers(run)
      .map((r) => [r.inputs.name, unwrap(r.inputs.ports)])
      .sort(([a], [b]) => String(a).localeCompare(String(b)));
    const ssh = (external: number) => ({
      internal: 22,
      external,
      ip: "127.0.0.1",
      protocol: "tcp",
    });
    expect(ports).toEqual([
      [
        "alice-manager-0",
        [
          ssh(2322),
          { internal: 2376, external: 2476, ip: "127.0.0.1", protocol: "tcp" },
          { internal: 5000, external: 5100, ip: "127.0.0.1", protocol: "tcp" },
        ],
      ],
      ["alice-manager-1", [ssh(2323)]],
      ["alice-manager-2", [ssh(2324)]],
      ["alice-worker-0", []],
    ]);
    expect(unwrap(run.byName("alice-ready-check").inputs.managers)).toEqual([
      "127.0.0.1:2322",
      "127.0.0.1:2323",
      "127.0.0.1:2324",
    ]);
    expect(run.byName(`alice-manager-2${HOST_KEY_PIN_SUFFIX}`).inputs.address).toBe(
      "127.0.0.1:2324",
    );
    await expectLaptopOutputs(run, { ssh: 2322, dockerApi: 2476, registry: 5100 });
  });

  it("keeps the lab side as it is: the nodes trust and pull the registry at <private>:5000", async () => {
    expect(await valueOf(run.exports.registryInternal)).toBe("10.42.0.10:5000");
    const registry = run.byName("alice-registry-deploy");
    expect(JSON.stringify(unwrap(registry.inputs.create))).toContain("10.42.0.10:5000");
  });

  it("says the rebuild a changed offset is (published ports replace the containers)", async () => {
    const base = await runProgram(
      { ...LOCAL, managers: "3", workers: "1" },
      "alice",
      swarmStdout(names("alice", 3, 1)),
      { glance: [] },
    );
    expect(base.error).toBeUndefined();
    expect(await valueOf(run.exports.rebuildKey)).not.toBe(await valueOf(base.exports.rebuildKey));
  });
});

describe("the stacks' published ports on the local cloud", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await deploy({ ...LOCAL, localPortOffset: "100" });
  });

  it("forwards each from 127.0.0.1 (plus the offset) to the nodes, managers first, labelled", () => {
    const forwarder = run.byName("alice-stack-ports-8080-tcp");
    expect(unwrap(forwarder.inputs)).toMatchObject({
      name: "alice-port-8080-tcp",
      image: expect.stringMatching(/^swarmlab-local-node:/),
      networksAdvanced: [{ name: "alice-swarmlab" }],
      labels: [{ label: "org.swarmlab.owner", value: "alice" }],
      ports: [{ internal: 8080, external: 8180, ip: "127.0.0.1", protocol: "tcp" }],
      entrypoints: ["/bin/bash", FORWARD_SCRIPT],
      command: ["tcp", "8080", "8080", "10.42.0.10", "10.42.0.100", "10.42.0.101"],
      uploads: [{ file: FORWARD_SCRIPT, content: templateFile("local-port-forward.sh") }],
      restart: "unless-stopped",
    });
    // A node is not touched by a stack's port: no node container publishes 8080 or 8180.
    const nodePorts = nodeContainers(run).flatMap(
      (r) => unwrap(r.inputs.ports) as { external: number }[],
    );
    expect(nodePorts.map((p) => p.external)).not.toEqual(expect.arrayContaining([8080]));
    expect(nodePorts.map((p) => p.external)).not.toEqual(expect.arrayContaining([8180]));
  });

  it("gives the stacks output the forwarded URL", async () => {
    const stacks = (await valueOf(run.exports.stacks)) as Record<
      string,
      { urls: Record<string, string> }
    >;
    expect(stacks.hostname.urls).toEqual({ "web:8080": "http://127.0.0.1:8180" });
  });

  it("declares no forwarder on OpenStack", async () => {
    const openstack = await runProgram(OPENSTACK, "alice", stdout);
    expect(openstack.error).toBeUndefined();
    expect(openstack.ofType(CONTAINER)).toEqual([]);
  });
});
