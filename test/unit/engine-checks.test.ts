/**
 * The local cloud's pre-flight decisions (infra/local/engine-*.ts), pure. The engine's answers are
 * in the Docker Engine API's documented JSON shapes, field names copied from the reference
 * (https://docs.docker.com/reference/api/engine/version/v1.41/: Network with Name, Id, Driver,
 * IPAM.Config[].Subnet/Gateway, Labels; ContainerSummary with Id, Names ("/name"), State,
 * Ports[] of {IP, PrivatePort, PublicPort, Type}, Labels; SystemInfo's MemTotal in bytes).
 * The host resolution mirrors @pulumi/docker's (provider/image.go configureDockerClient).
 */
import type { EngineContainer, EngineNetwork } from "../../infra/local/engine-facts";
import { engineTarget } from "../../infra/local/engine-host";
import { freeLabSubnet, networkOverlapProblems } from "../../infra/local/engine-network-check";
import {
  freePortOffset,
  portConflictProblems,
  takenHostPorts,
} from "../../infra/local/engine-port-check";
import { engineProblems, noEngineProblem } from "../../infra/local/engine-problems";
import { parseIpv4Cidr } from "../../infra/config/cidr";

const OWNER = "org.swarmlab.owner";
const OWN = { name: "alice-swarmlab", label: OWNER, value: "alice" };
const GIB = 1024 ** 3;

/** Docker's own default bridge as GET /networks lists it on a fresh engine. */
const DEFAULT_BRIDGE: EngineNetwork = {
  Name: "bridge",
  Id: "f2de39df4171",
  Driver: "bridge",
  IPAM: { Config: [{ Subnet: "172.17.0.0/16", Gateway: "172.17.0.1" }] },
  Labels: {},
};
/** `host` and `none` have no address pool: IPAM.Config is empty (or null on some engines). */
const HOST: EngineNetwork = { Name: "host", Id: "h", Driver: "host", IPAM: { Config: [] } };
const NONE: EngineNetwork = { Name: "none", Id: "n", Driver: "null", IPAM: { Config: null } };

function network(
  name: string,
  subnets: string[],
  labels: Record<string, string> = {},
): EngineNetwork {
  return {
    Name: name,
    Id: `${name}-id`,
    Driver: "bridge",
    IPAM: { Config: subnets.map((Subnet) => ({ Subnet })) },
    Labels: labels,
  };
}

function container(
  name: string,
  ports: { IP?: string; PublicPort?: number; Type?: "tcp" | "udp" | "sctp" }[],
  labels: Record<string, string> = {},
): EngineContainer {
  return {
    Id: `${name}-id`,
    Names: [`/${name}`],
    State: "running",
    Ports: ports.map((port) => ({ PrivatePort: 22, Type: "tcp", ...port })),
    Labels: labels,
  };
}

describe("which engine the pre-flight asks (as @pulumi/docker resolves its host)", () => {
  const base = { providerConfig: {}, env: {}, home: "/home/ana", platform: "linux" as const };

  it("tries the default socket, then Docker Desktop's per-user sockets, with nothing set", () => {
    expect(engineTarget(base)).toEqual({
      readable: true,
      endpoints: [
        { address: "unix:///var/run/docker.sock", socketPath: "/var/run/docker.sock" },
        {
          address: "unix:///home/ana/.docker/run/docker.sock",
          socketPath: "/home/ana/.docker/run/docker.sock",
        },
        {
          address: "unix:///home/ana/.docker/desktop/docker.sock",
          socketPath: "/home/ana/.docker/desktop/docker.sock",
        },
      ],
    });
  });

  it("uses Windows' named pipe there", () => {
    expect(engineTarget({ ...base, platform: "win32" })).toEqual({
      readable: true,
      endpoints: [
        { address: "npipe:////./pipe/docker_engine", socketPath: "\\\\.\\pipe\\docker_engine" },
      ],
    });
  });

  it("takes DOCKER_HOST alone when set, and docker:host over it", () => {
    const env = { DOCKER_HOST: "unix:///run/user/1000/docker.sock" };
    expect(engineTarget({ ...base, env })).toEqual({
      readable: true,
      endpoints: [{ address: env.DOCKER_HOST, socketPath: "/run/user/1000/docker.sock" }],
    });
    expect(engineTarget({ ...base, env, providerConfig: { host: "tcp://10.0.0.5:2375" } })).toEqual(
      {
        readable: true,
        endpoints: [{ address: "tcp://10.0.0.5:2375", host: "10.0.0.5", port: 2375 }],
      },
    );
  });

  it("does not read ssh:// or TLS engines, and says why", () => {
    expect(engineTarget({ ...base, env: { DOCKER_HOST: "ssh://me@box" } })).toEqual({
      readable: false,
      address: "ssh://me@box",
      why: "it is reached over SSH, which the pre-flight does not do",
    });
    const tls = engineTarget({
      ...base,
      env: { DOCKER_HOST: "tcp://box:2376", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/c" },
    });
    expect(tls).toMatchObject({
      readable: false,
      address: "tcp://box:2376",
      why: expect.stringMatching(/TLS/),
    });
    expect(
      engineTarget({ ...base, providerConfig: { host: "tcp://box:2376", certPath: "/certs" } }),
    ).toMatchObject({ readable: false });
  });
});

describe("the lab subnet against the engine's networks", () => {
  it("passes beside Docker's own networks", () => {
    expect(networkOverlapProblems([DEFAULT_BRIDGE, HOST, NONE], "10.42.0.0/24", OWN)).toEqual([]);
  });

  it("passes the stack's own network (a second up), by name and owner label", () => {
    const own = network("alice-swarmlab", ["10.42.0.0/24"], { [OWNER]: "alice" });
    expect(networkOverlapProblems([DEFAULT_BRIDGE, own], "10.42.0.0/24", OWN)).toEqual([]);
  });

  it("refuses a network of that name without the owner's label, or another owner's", () => {
    const unlabelled = network("alice-swarmlab", ["10.42.0.0/24"]);
    const bobs = network("bob-swarmlab", ["10.42.0.0/16"], { [OWNER]: "bob" });
    expect(networkOverlapProblems([unlabelled, bobs], "10.42.0.0/24", OWN)).toEqual([
      'is 10.42.0.0/24, which overlaps 10.42.0.0/24, the subnet of the Docker network "alice-swarmlab" ' +
        'on this engine: Docker refuses a second bridge on an address range in use ("Pool overlaps ' +
        'with other one on this address space"); every 10.42.k.0/24 is taken: remove networks you ' +
        "no longer use (`docker network prune`)",
      expect.stringContaining(
        'overlaps 10.42.0.0/16, the subnet of the Docker network "bob-swarmlab"',
      ),
    ]);
  });

  it("names the first free 10.42.k.0/24, skipping IPv6 subnets", () => {
    const taken = [
      network("a", ["10.42.0.0/24", "fd00::/64"]),
      network("b", ["10.42.1.0/25"]),
      network("c", ["10.42.3.0/24"]),
    ];
    const [reason] = networkOverlapProblems(taken, "10.42.0.0/24", OWN);
    expect(reason).toMatch(/`pulumi config set swarmlab:cidr 10\.42\.2\.0\/24`$/);
  });

  it("suggests a /24 that overlaps none of the taken subnets (property)", () => {
    for (let k = 0; k < 256; k += 17) {
      const taken = Array.from({ length: k }, (_, i) => parseIpv4Cidr(`10.42.${i}.0/24`)).flatMap(
        (p) => (p.ok ? [p.cidr] : []),
      );
      expect(freeLabSubnet(taken)).toBe(`10.42.${k}.0/24`);
    }
  });
});

describe("the stack's 127.0.0.1 ports against the engine's containers", () => {
  const nodesOnly = { managers: 1, forwarded: [], offset: 0 };

  it("counts ports on 127.0.0.1, 0.0.0.0 and :: by protocol, not sctp, other addresses or unpublished ones", () => {
    const taken = takenHostPorts(
      [
        container("a", [
          { IP: "0.0.0.0", PublicPort: 2222 },
          { IP: "::", PublicPort: 2222 },
        ]),
        container("b", [{ IP: "::", PublicPort: 5000 }]),
        container("c", [{ IP: "127.0.0.1", PublicPort: 2376, Type: "udp" }]),
        container("d", [{ IP: "192.168.1.5", PublicPort: 2376 }]),
        container("e", [{}]),
        container("f", [{ IP: "0.0.0.0", PublicPort: 9999, Type: "sctp" }]),
      ],
      OWN,
    );
    expect([...taken.entries()]).toEqual([
      ["2222/tcp", { container: "a", binding: "0.0.0.0:2222" }],
      ["5000/tcp", { container: "b", binding: "[::]:5000" }],
      ["2376/udp", { container: "c", binding: "127.0.0.1:2376" }],
    ]);
  });

  it("passes the stack's own containers (a second up)", () => {
    const mine = container("alice-manager-0", [{ IP: "127.0.0.1", PublicPort: 2222 }], {
      [OWNER]: "alice",
    });
    expect(portConflictProblems([mine], nodesOnly, OWN)).toEqual([]);
  });

  it("names the container, the port and the first offset in steps of 100 that is all free", () => {
    const others = [
      container("sshd", [{ IP: "127.0.0.1", PublicPort: 2222 }]),
      container("old-lab", [{ IP: "0.0.0.0", PublicPort: 2476 }]),
    ];
    expect(portConflictProblems(others, nodesOnly, OWN)).toEqual([
      'puts SSH of manager-0 on 127.0.0.1:2222, but the container "sshd" already publishes ' +
        "127.0.0.1:2222 on this engine, so Docker would refuse the node's container; use an offset " +
        "whose ports are free: `pulumi config set swarmlab:localPortOffset 200`",
    ]);
    expect(freePortOffset(3, [], takenHostPorts(others, OWN))).toBe(200);
  });

  // What forwardedPorts (infra/stacks/local-port-forwarder.ts) gives for a web stack on 8080 and
  // a DNS-like one on 5353/udp.
  const forwarded = [
    { what: "the stacks' port 8080/tcp (service web)", published: 8080, protocol: "tcp" as const },
    { what: "the stacks' port 5353/udp (service dns)", published: 5353, protocol: "udp" as const },
  ];

  it("checks the stacks' forwarded ports too, each with its own protocol", () => {
    const others = [
      // A developer's own web server in Docker, on the port a course stack publishes.
      container("my-dev-server", [{ IP: "0.0.0.0", PublicPort: 8080 }]),
      // 5353 over TCP does not hold 5353/udp.
      container("tcp-5353", [{ IP: "127.0.0.1", PublicPort: 5353 }]),
    ];
    expect(portConflictProblems(others, { managers: 1, forwarded, offset: 0 }, OWN)).toEqual([
      "puts the stacks' port 8080/tcp (service web) on 127.0.0.1:8080, but the container " +
        '"my-dev-server" already publishes 0.0.0.0:8080 on this engine, so Docker would refuse ' +
        "its forwarder container; use an offset whose ports are free: " +
        "`pulumi config set swarmlab:localPortOffset 100`",
    ]);
  });

  it("names a taken UDP port as UDP, and suggests an offset that frees the stacks' ports as well", () => {
    const others = [
      container("dns", [{ IP: "127.0.0.1", PublicPort: 5353, Type: "udp" }]),
      // Offset 100 would put the web port on 8180: held as well.
      container("proxy", [{ IP: "127.0.0.1", PublicPort: 8180 }]),
    ];
    expect(portConflictProblems(others, { managers: 1, forwarded, offset: 0 }, OWN)).toEqual([
      "puts the stacks' port 5353/udp (service dns) on 127.0.0.1:5353/udp, but the container " +
        '"dns" already publishes 127.0.0.1:5353/udp on this engine, so Docker would refuse its ' +
        "forwarder container; use an offset whose ports are free: " +
        "`pulumi config set swarmlab:localPortOffset 200`",
    ]);
  });

  it("suggests no offset that would push a stack's port past 65535", () => {
    const high = [
      {
        what: "the stacks' port 65000/tcp (service x)",
        published: 65000,
        protocol: "tcp" as const,
      },
    ];
    const taken = takenHostPorts([container("x", [{ IP: "127.0.0.1", PublicPort: 65000 }])], OWN);
    expect(freePortOffset(1, high, taken)).toBe(100);
    const all = takenHostPorts(
      [
        container("x", [
          { IP: "127.0.0.1", PublicPort: 65000 },
          { IP: "127.0.0.1", PublicPort: 65100 },
          { IP: "127.0.0.1", PublicPort: 65200 },
          { IP: "127.0.0.1", PublicPort: 65300 },
          { IP: "127.0.0.1", PublicPort: 65400 },
          { IP: "127.0.0.1", PublicPort: 65500 },
        ]),
      ],
      OWN,
    );
    expect(freePortOffset(1, high, all)).toBeUndefined();
  });
});

describe("every engine problem at once", () => {
  const plan = {
    own: OWN,
    cidr: "10.42.0.0/24",
    managers: 1,
    workers: 2,
    localPortOffset: 0,
    forwarded: [],
  };

  it("lists the subnet, the ports and the engine's memory together", () => {
    const problems = engineProblems(
      {
        address: "unix:///var/run/docker.sock",
        networks: [network("bob-swarmlab", ["10.42.0.0/24"], { [OWNER]: "bob" })],
        containers: [
          container("bob-manager-0", [{ IP: "127.0.0.1", PublicPort: 2222 }], { [OWNER]: "bob" }),
        ],
        // Docker Desktop's VM with 4 GiB: 2 left for nodes, 3 wanted.
        memTotalBytes: 4 * GIB,
      },
      plan,
    );
    expect(problems.map((p) => p.key)).toEqual(["cidr", "localPortOffset", "workers"]);
    expect(problems[2].reason).toBe(
      "makes 3 nodes, about 3 GiB at 1 GiB a node, but the Docker engine has 4.0 GiB (2 GiB kept " +
        "for itself; the memory the engine reports, GET /info MemTotal; on Docker Desktop that of " +
        "its VM); use at most 2 nodes in all (managers + workers), or give Docker Desktop's VM " +
        "more memory (Settings, Resources)",
    );
  });

  it("finds nothing on an engine with only its own networks and room", () => {
    expect(
      engineProblems(
        {
          address: "x",
          networks: [DEFAULT_BRIDGE, HOST, NONE],
          containers: [],
          memTotalBytes: 16 * GIB,
        },
        plan,
      ),
    ).toEqual([]);
  });

  it("names every address tried when none answers", () => {
    expect(
      noEngineProblem([
        { address: "unix:///var/run/docker.sock", reason: "connect ENOENT /var/run/docker.sock" },
        { address: "unix:///home/ana/.docker/run/docker.sock", reason: "connect ECONNREFUSED" },
      ]),
    ).toEqual({
      key: "cloud",
      reason:
        "is docker, but no Docker engine answers at unix:///var/run/docker.sock (connect ENOENT " +
        "/var/run/docker.sock), unix:///home/ana/.docker/run/docker.sock (connect ECONNREFUSED), " +
        "where @pulumi/docker would create the lab; start Docker Desktop (or dockerd), or point " +
        "DOCKER_HOST or `pulumi config set docker:host unix:///path/to/docker.sock` at the engine",
    });
  });
});
