/**
 * The local cloud's node description (infra/local) and its two users: the system test's
 * `docker create` / `docker network create` arguments (test/system/harness) must be the flags the
 * harness has proven on real Docker (FACTS.md, "Docker engine on our machines"), and the seed
 * files the layout cloud-init's ConfigDrive datasource reads.
 */
import { nodeContainer, NodeContainerArgs, SEED_DIR } from "../../infra/local/node-container";
import { novaMetaData } from "../../infra/local/nova-metadata";
import { labBridgeNetwork, nodeAddress } from "../../infra/local/lab-network";
import { clusterNodes } from "../../infra/config/naming";
import { dockerCreateArgs } from "../system/harness/nova";
import { networkCreateArgs } from "../system/harness/lab-network";

const UUID = "0b7e6a52-5f5e-4c1c-9a34-2d8f3d1a1c00";

function args(overrides: Partial<NodeContainerArgs> = {}): NodeContainerArgs {
  return {
    containerName: "alice-manager-0",
    nodeName: "alice-manager-0",
    image: "swarmlab-node:bookworm",
    network: "alice-lab",
    address: "10.42.0.10",
    userData: "#cloud-config\n{}\n",
    metaData: novaMetaData(
      "alice-manager-0",
      { swarm_role: "manager" },
      "ssh-ed25519 AAAA k",
      UUID,
    ),
    disk: { kind: "volume", volume: "alice-manager-0-docker" },
    labels: { "org.swarmlab.owner": "alice" },
    publishedPorts: [],
    ...overrides,
  };
}

describe("nodeContainer", () => {
  it("is a system container: systemd's cgroup, tmpfs and stop signal, without --privileged", () => {
    const node = nodeContainer(args());
    expect(node.capabilities).toEqual({ add: ["ALL"], drop: ["SYS_RESOURCE"] });
    expect(node.securityOpts).toEqual([
      "seccomp=unconfined",
      "apparmor=unconfined",
      "systempaths=unconfined",
    ]);
    expect(node.deviceCgroupRules).toEqual(["a *:* rwm"]);
    expect(node.tmpfs).toEqual({ "/run": "", "/run/lock": "" });
    expect(node.cgroupnsMode).toBe("host");
    expect(node.stopSignal).toBe("SIGRTMIN+3");
    expect(node.hostname).toBe("alice-manager-0");
    expect(node.network).toEqual({ name: "alice-lab", ipv4Address: "10.42.0.10" });
    expect(node.labels).toEqual({ "org.swarmlab.owner": "alice" });
  });

  it("keeps Docker's data in the named volume, or hands the block device over as /dev/vdb", () => {
    expect(nodeContainer(args()).mounts).toEqual([
      { type: "bind", source: "/sys/fs/cgroup", target: "/sys/fs/cgroup", readOnly: false },
      {
        type: "volume",
        source: "alice-manager-0-docker",
        target: "/var/lib/docker",
        readOnly: false,
      },
    ]);
    expect(nodeContainer(args()).devices).toEqual([]);
    const block = nodeContainer(args({ disk: { kind: "block-device", hostDevice: "/dev/loop7" } }));
    expect(block.mounts.map((mount) => mount.target)).toEqual(["/sys/fs/cgroup"]);
    expect(block.devices).toEqual([
      { hostPath: "/dev/loop7", containerPath: "/dev/vdb", permissions: "rwm" },
    ]);
  });

  it("publishes ports on 127.0.0.1 only", () => {
    const node = nodeContainer(
      args({
        publishedPorts: [
          { containerPort: 22, hostPort: 2222, protocol: "tcp" },
          { containerPort: 5000, hostPort: 5000, protocol: "tcp" },
        ],
      }),
    );
    expect(node.ports).toEqual([
      { internal: 22, external: 2222, ip: "127.0.0.1", protocol: "tcp" },
      { internal: 5000, external: 5000, ip: "127.0.0.1", protocol: "tcp" },
    ]);
  });

  it("seeds nova's config drive where cloud-init's ConfigDrive datasource reads it", () => {
    const node = nodeContainer(args());
    expect(SEED_DIR).toBe("/var/lib/cloud/seed/config_drive/openstack/latest");
    expect(node.seedFiles.map((file) => file.path)).toEqual([
      `${SEED_DIR}/meta_data.json`,
      `${SEED_DIR}/user_data`,
    ]);
    expect(node.seedFiles[1].content).toBe("#cloud-config\n{}\n");
    expect(JSON.parse(node.seedFiles[0].content)).toEqual({
      uuid: UUID,
      name: "alice-manager-0",
      hostname: "alice-manager-0",
      launch_index: 0,
      availability_zone: "nova",
      meta: { swarm_role: "manager" },
      public_keys: { default: "ssh-ed25519 AAAA k" },
      keys: [{ name: "default", type: "ssh", data: "ssh-ed25519 AAAA k" }],
    });
  });
});

describe("the local cloud's address plan", () => {
  it("puts managers at .10 and workers at .100 of the subnet, the gateway at .1", () => {
    const addresses = clusterNodes("alice", 3, 2).map((node) => nodeAddress("10.42.0.0/24", node));
    expect(addresses).toEqual([
      "10.42.0.10",
      "10.42.0.11",
      "10.42.0.12",
      "10.42.0.100",
      "10.42.0.101",
    ]);
    expect(nodeAddress("10.42.0.0/16", { role: "worker", index: 49 })).toBe("10.42.0.149");
    expect(labBridgeNetwork("n", "192.168.213.0/24", 1450, {}).gateway).toBe("192.168.213.1");
  });
});

describe("the system test boots its nodes from the description", () => {
  it("turns it into the docker create flags the harness proved on real Docker", () => {
    expect(dockerCreateArgs(nodeContainer(args()))).toEqual([
      "--name", "alice-manager-0",
      "--hostname", "alice-manager-0",
      "--network", "alice-lab",
      "--ip", "10.42.0.10",
      "--cap-add", "ALL",
      "--cap-drop", "SYS_RESOURCE",
      "--security-opt", "seccomp=unconfined",
      "--security-opt", "apparmor=unconfined",
      "--security-opt", "systempaths=unconfined",
      "--device-cgroup-rule", "a *:* rwm",
      "--tmpfs", "/run",
      "--tmpfs", "/run/lock",
      "--cgroupns", "host",
      "--mount", "type=bind,source=/sys/fs/cgroup,target=/sys/fs/cgroup",
      "--mount", "type=volume,source=alice-manager-0-docker,target=/var/lib/docker",
      "--stop-signal", "SIGRTMIN+3",
      "--label", "org.swarmlab.owner=alice",
      "swarmlab-node:bookworm",
    ]); // prettier-ignore
  });

  it("maps the block device and the 127.0.0.1 ports to --device and --publish", () => {
    const flags = dockerCreateArgs(
      nodeContainer(
        args({
          disk: { kind: "block-device", hostDevice: "/dev/loop7" },
          publishedPorts: [{ containerPort: 22, hostPort: 2222, protocol: "tcp" }],
        }),
      ),
    );
    expect(flags.join(" ")).toContain("--device /dev/loop7:/dev/vdb:rwm");
    expect(flags.join(" ")).toContain("--publish 127.0.0.1:2222:22/tcp");
  });

  it("creates the lab network as a bridge with the subnet, gateway .1 and the MTU", () => {
    const network = labBridgeNetwork("swarmlab-abc", "192.168.213.0/24", 1450, { run: "abc" });
    expect(networkCreateArgs(network)).toEqual([
      "--driver", "bridge",
      "--subnet", "192.168.213.0/24",
      "--gateway", "192.168.213.1",
      "--opt", "com.docker.network.driver.mtu=1450",
      "--label", "run=abc",
      "swarmlab-abc",
    ]); // prettier-ignore
  });
});
