/**
 * `swarmlab:cloud: docker` at preview: what the local cloud cannot do is refused with the reason
 * and the fix, every problem at once, as the other config checks are (parseLabConfig, pure).
 */
import { parseLabConfig, RawConfig } from "../../infra/config/validate";
import { LOCAL_ALLOWED_CIDR } from "../../infra/config/local-cloud";
import { engineConfig } from "../../scripts/lib/engine-config";

const GIB = 1024 ** 3;
const LAPTOP = { totalMemoryBytes: 16 * GIB };
const local: RawConfig = { cloud: "docker", allowedCidrs: `["${LOCAL_ALLOWED_CIDR}"]` };

function problemsOf(raw: RawConfig, host = LAPTOP): string[] {
  const result = parseLabConfig(raw, "alice", undefined, host);
  if (result.ok) throw new Error(`expected problems for ${JSON.stringify(raw)}`);
  return result.problems.map((p) => `swarmlab:${p.key}: ${p.reason}`);
}

describe("swarmlab:cloud", () => {
  it("defaults to openstack and takes docker", () => {
    const openstack = parseLabConfig(
      { allowedCidrs: '["203.0.113.0/24"]' },
      "alice",
      undefined,
      LAPTOP,
    );
    expect(openstack.ok && openstack.config.cloud).toBe("openstack");
    const docker = parseLabConfig(local, "alice", undefined, LAPTOP);
    expect(docker.ok ? docker.config.cloud : docker.problems).toBe("docker");
  });

  it("refuses any other cloud, naming both", () => {
    expect(problemsOf({ ...local, cloud: "aws" })).toEqual([
      'swarmlab:cloud: is "aws": choose one of openstack, docker',
    ]);
  });

  it("accepts the engine's defaults of the OpenStack keys (Pulumi.yaml fills them in)", () => {
    const result = parseLabConfig(
      {
        ...local,
        image: "Ubuntu 22.04",
        flavor: "m1.small",
        externalNetwork: "public",
        imageId: "",
        bootVolumeSize: "0",
        managerFlavor: "",
        network: "",
        dockerVolumeSize: "0",
        dockerVolumeFilesystem: "",
        configDrive: "false",
        dnsNameservers: "[]",
      },
      "alice",
      undefined,
      LAPTOP,
    );
    expect(result.ok ? [] : result.problems).toEqual([]);
  });
});

describe("a local stack as the engine hands it over (Pulumi.yaml's defaults merged in)", () => {
  it("is valid with cloud and allowedCidrs alone", () => {
    const result = parseLabConfig(engineConfig("alice", local), "alice", undefined, LAPTOP);
    expect(result.ok ? [] : result.problems).toEqual([]);
  });
});

describe("the local cloud refuses at preview", () => {
  it("every OpenStack-only setting, each with the key to remove", () => {
    const problems = problemsOf({
      ...local,
      image: "Debian 12",
      imageId: "0b7e6a52-5f5e-4c1c-9a34-2d8f3d1a1c00",
      bootVolumeSize: "20",
      flavor: "m1.large",
      managerFlavor: "m1.xlarge",
      externalNetwork: "campus",
      network: "lab-net",
      dockerVolumeSize: "20",
      dockerVolumeFilesystem: "xfs",
    });
    expect(problems.map((p) => p.split(":")[1])).toEqual([
      "image",
      "flavor",
      "externalNetwork",
      "imageId",
      "bootVolumeSize",
      "managerFlavor",
      "network",
      "dockerVolumeSize",
      "dockerVolumeFilesystem",
    ]);
    expect(problems[0]).toBe(
      'swarmlab:image: is "Debian 12", a Glance image name, but the local cloud (swarmlab:cloud ' +
        "docker) has no OpenStack; remove it (`pulumi config rm swarmlab:image`); the nodes boot " +
        "the node image built from infra/local/image/, or the one named by swarmlab:localImage",
    );
    expect(problems[6]).toBe(
      "swarmlab:network: is set, which is an existing Neutron network, but the local cloud " +
        "(swarmlab:cloud docker) has no OpenStack; remove it (`pulumi config rm swarmlab:network`)",
    );
  });

  it("dnsNameservers, which only a Neutron subnet has", () => {
    expect(problemsOf({ ...local, dnsNameservers: '["9.9.9.9"]' })).toEqual([
      'swarmlab:dnsNameservers: is ["9.9.9.9"], DNS servers of a Neutron subnet, but the local ' +
        "cloud (swarmlab:cloud docker) has no OpenStack; the nodes use Docker's resolver, which " +
        "forwards to this machine's; remove it (`pulumi config rm swarmlab:dnsNameservers`)",
    ]);
  });

  it("allowedCidrs other than 127.0.0.1/32: there are no security groups, only 127.0.0.1", () => {
    const [problem] = problemsOf({ ...local, allowedCidrs: '["203.0.113.0/24"]' });
    expect(problem).toMatch(
      /^swarmlab:allowedCidrs: is \["203.0.113.0\/24"\], but the local cloud has no security groups: it publishes the managers' ports on 127.0.0.1 only/,
    );
    expect(problem).toContain("pulumi config set --path 'swarmlab:allowedCidrs[0]' 127.0.0.1/32");
    const unset = problemsOf({ cloud: "docker" });
    expect(unset).toEqual([
      "swarmlab:allowedCidrs: is not set: the local cloud publishes the managers' ports on " +
        "127.0.0.1 only; say so with `pulumi config set --path 'swarmlab:allowedCidrs[0]' 127.0.0.1/32`",
    ]);
  });

  it("zfs: the nodes share the host's kernel", () => {
    expect(problemsOf({ ...local, storageDriver: "zfs", dockerVolumeSize: "0" })).toContainEqual(
      "swarmlab:storageDriver: is zfs, which the local cloud cannot run: the nodes share the " +
        "host's kernel, which would need the zfs module, and Docker Desktop's has none; use overlay2",
    );
  });

  it("btrfs: no loop device the program can see at preview", () => {
    const problems = problemsOf({ ...local, storageDriver: "btrfs" });
    expect(problems).toContainEqual(
      "swarmlab:storageDriver: is btrfs, which needs a block device per node (a loop device on " +
        "the Docker host); at preview the program cannot see the host's loop devices (and Docker " +
        "Desktop's VM gives containers none), so it cannot promise one; use overlay2",
    );
  });

  it("more nodes than this machine's memory holds at 1 GiB a node, 2 GiB kept for the host", () => {
    const eightGib = { totalMemoryBytes: 8 * GIB };
    // 6 GiB for nodes: 1 manager + 5 workers fit, 1 + 6 do not.
    expect(parseLabConfig({ ...local, workers: "5" }, "alice", undefined, eightGib).ok).toBe(true);
    expect(problemsOf({ ...local, workers: "6" }, eightGib)).toEqual([
      "swarmlab:workers: makes 7 nodes, about 7 GiB at 1 GiB a node, but this machine has 8.0 GiB " +
        "(2 GiB kept for itself; the memory of the machine running pulumi, which is the Docker " +
        "host on a laptop); use at most 6 nodes in all (managers + workers)",
    ]);
  });

  it("a subnet smaller than the address plan's /24", () => {
    expect(problemsOf({ ...local, cidr: "10.42.0.0/25" })).toEqual([
      "swarmlab:cidr: is a /25: the local cloud places managers at .10 and workers at .100 to " +
        ".149 of the subnet, which needs at least a /24; use e.g. 10.42.0.0/24",
    ]);
  });

  it("lists every problem at once, with the other config checks'", () => {
    const problems = problemsOf(
      { ...local, managers: "2", flavor: "m1.large", storageDriver: "zfs", workers: "40" },
      { totalMemoryBytes: 8 * GIB },
    );
    expect(problems.map((p) => p.split(":")[1])).toEqual([
      "managers",
      "dockerVolumeSize",
      "flavor",
      "storageDriver",
      "workers",
    ]);
  });

  it("leaves OpenStack stacks alone: the same keys are fine with cloud openstack", () => {
    const result = parseLabConfig(
      { allowedCidrs: '["203.0.113.0/24"]', flavor: "m1.large", workers: "40" },
      "alice",
      undefined,
      { totalMemoryBytes: 8 * GIB },
    );
    expect(result.ok ? [] : result.problems).toEqual([]);
  });
});

describe("swarmlab:localImage", () => {
  it("is taken under the local cloud, as given", () => {
    const result = parseLabConfig(
      { ...local, localImage: "swarmlab-node:docker" },
      "alice",
      undefined,
      LAPTOP,
    );
    expect(result.ok ? result.config.localImage : result.problems).toBe("swarmlab-node:docker");
  });

  it("is unset when the engine passes Pulumi.yaml's default, an empty string", () => {
    const result = parseLabConfig(engineConfig("alice", local), "alice", undefined, LAPTOP);
    expect(result.ok ? result.config.localImage : result.problems).toBeUndefined();
  });

  it("is refused under openstack, naming both fixes", () => {
    expect(
      problemsOf({
        allowedCidrs: '["203.0.113.0/24"]',
        localImage: "swarmlab-node:docker",
      }),
    ).toEqual([
      'swarmlab:localImage: is "swarmlab-node:docker", an image for the local cloud\'s node ' +
        "containers, but cloud is openstack, whose servers boot a Glance image (swarmlab:image); " +
        "remove it (`pulumi config rm swarmlab:localImage`), or set `pulumi config set " +
        "swarmlab:cloud docker`",
    ]);
  });

  it("is refused when it is no image reference", () => {
    expect(problemsOf({ ...local, localImage: "Swarmlab Node" })).toEqual([
      'swarmlab:localImage: is "Swarmlab Node": it must be a docker image reference such as ' +
        '"swarmlab-node:docker" (see `docker images`), or remove it to build infra/local/image/',
    ]);
  });
});
