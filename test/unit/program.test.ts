import { renderUserData } from "../../infra/nodes/cloudinit";
import { parseLabConfig } from "../../infra/config/validate";
import { nodeSettings } from "../../infra/nodes/node-settings";
import { caCertificateChunks, MetaKey } from "../../infra/config/metadata";
import { autolockOffScript } from "../../infra/swarm/remote-scripts";
import { engineConfig } from "../../scripts/lib/engine-config";
import {
  MANAGER_STEP,
  MOCK_NETWORK_MTU,
  MOCK_CERTIFICATE_PEM,
  MOCK_TOKENS,
  names,
  swarmStdout,
  NO_ANSWER,
  plaintextPaths,
  ProgramRun,
  recordedState,
  runProgram,
  secretValue,
  valueOf,
} from "./support/program";

const INSTANCE = "openstack:compute/instance:Instance";
const RULE = "openstack:networking/secGroupRule:SecGroupRule";
const COMMAND = MANAGER_STEP;
const ALLOWED = ["203.0.113.0/24", "198.51.100.7/32"];

async function attempt(
  config: Record<string, string>,
  stack: string,
  managers: number,
  workers: number,
) {
  const owner = config.owner ?? stack;
  return runProgram(
    { allowedCidrs: JSON.stringify(ALLOWED), ...config },
    stack,
    swarmStdout(names(owner, managers, workers)),
  );
}

async function deploy(
  config: Record<string, string>,
  stack: string,
  managers: number,
  workers: number,
) {
  const run = await attempt(config, stack, managers, workers);
  if (run.error !== undefined) throw run.error;
  return run;
}

function expectedUserData(config: Record<string, string>, stack: string): string {
  const raw = engineConfig(stack, { allowedCidrs: JSON.stringify(ALLOWED), ...config });
  const parsed = parseLabConfig(raw, stack);
  if (!parsed.ok) throw new Error("test config should be valid");
  return renderUserData(nodeSettings(parsed.config, MOCK_NETWORK_MTU));
}

describe.each([
  ["default config", {}, "alice", 1, 2],
  ["3 managers + 5 workers", { managers: "3", workers: "5", owner: "bob" }, "class-bob", 3, 5],
])("the program with %s", (_label, config: Record<string, string>, stack, managers, workers) => {
  let run: ProgramRun;
  const owner = (config.owner as string | undefined) ?? stack;
  const all = names(owner, managers, workers);

  beforeAll(async () => {
    run = await deploy(config, stack, managers, workers);
  });

  it("creates one server per node, named after the owner", () => {
    expect(
      run
        .ofType(INSTANCE)
        .map((r) => r.inputs.name)
        .sort(),
    ).toEqual([...all].sort());
    expect(run.ofType("openstack:networking/port:Port")).toHaveLength(all.length);
    expect(run.ofType("openstack:networking/floatingIp:FloatingIp")).toHaveLength(managers);
    expect(run.ofType("openstack:blockstorage/volume:Volume")).toHaveLength(0);
  });

  it("creates the network, subnet, router and interface, all named for the owner", () => {
    for (const type of ["network:Network", "subnet:Subnet", "router:Router"]) {
      const [resource, ...more] = run.ofType(`openstack:networking/${type}`);
      expect(more).toHaveLength(0);
      expect(resource.inputs.name).toBe(`${owner}-swarmlab`);
    }
    expect(run.ofType("openstack:networking/routerInterface:RouterInterface")).toHaveLength(1);
    expect(run.byName(`${owner}-network-subnet`).inputs.cidr).toBe("10.42.0.0/24");
  });

  it("puts every OpenStack resource name and every Pulumi name under the owner", () => {
    for (const resource of run.resources) {
      if (resource.type.startsWith("pulumi:")) continue;
      expect(resource.name === owner || resource.name.startsWith(`${owner}-`)).toBe(true);
      const osName = resource.inputs.name;
      if (resource.type.startsWith("openstack:") && typeof osName === "string") {
        expect(osName.startsWith(`${owner}-`)).toBe(true);
      }
    }
  });

  it("opens no swarm port to any CIDR, and SSH only to allowedCidrs", () => {
    const rules = run.ofType(RULE).map((r) => r.inputs);
    const swarmPorts = [2377, 7946, 4789];
    const toCidr = rules.filter((r) => r.remoteIpPrefix !== undefined);
    expect(toCidr.some((r) => swarmPorts.includes(Number(r.portRangeMin)))).toBe(false);
    for (const port of swarmPorts) {
      const opened = rules.filter((r) => r.portRangeMin === port);
      expect(opened.length).toBeGreaterThan(0);
      expect(opened.every((r) => r.remoteGroupId === `${owner}-firewall-cluster-id`)).toBe(true);
    }
    const ssh = rules.filter((r) => r.portRangeMin === 22);
    const sshFromCidrs = ssh.filter((r) => r.remoteGroupId === undefined);
    expect(sshFromCidrs.map((r) => r.remoteIpPrefix).sort()).toEqual([...ALLOWED].sort());
    // And once between members, for the jump through a manager to a worker (issue 22, item 9).
    const sshFromMembers = ssh.filter((r) => r.remoteGroupId !== undefined);
    expect(sshFromMembers.map((r) => [r.remoteGroupId, r.remoteIpPrefix])).toEqual([
      [`${owner}-firewall-cluster-id`, undefined],
    ]);
  });

  it("gives every node the stack's user-data, which holds no metadata value", () => {
    const expected = expectedUserData(config, stack);
    for (const server of run.ofType(INSTANCE)) {
      expect(server.inputs.userData).toBe(expected);
    }
    expect(expected).not.toContain(MOCK_TOKENS.worker);
    expect(expected).not.toContain(MOCK_TOKENS.manager);
  });

  it("passes role, init flag and tokens through metadata only, as secrets", () => {
    const registryTrustMeta = {
      [MetaKey.registryEndpoints]:
        "10.42.0.10:5000 203.0.113.10:5000 registry.swarmlab.internal:5000",
      ...Object.fromEntries(
        caCertificateChunks(MOCK_CERTIFICATE_PEM).map((chunk, i) => [
          `${MetaKey.registryCaChunk}${i}`,
          chunk,
        ]),
      ),
    };
    const meta = (name: string) => run.byName(`${name}-server`).inputs.metadata;
    // Secret as a whole: on an existing swarm manager-0's metadata may hold a manager token.
    expect(secretValue(meta(`${owner}-manager-0`))).toEqual({
      [MetaKey.owner]: owner,
      [MetaKey.role]: "manager",
      [MetaKey.init]: "true",
      [MetaKey.advertiseAddr]: "10.42.0.10",
      ...registryTrustMeta,
    });
    for (const name of all.slice(1)) {
      const role = name.includes("-manager-") ? "manager" : "worker";
      // secretValue fails unless the whole metadata map reached the engine as a secret.
      expect(secretValue(meta(name))).toEqual({
        [MetaKey.owner]: owner,
        [MetaKey.role]: role,
        [MetaKey.init]: "false",
        [MetaKey.advertiseAddr]: expect.stringMatching(/^10\.42\.0\.\d+$/),
        [MetaKey.joinAddr]: "10.42.0.10:2377",
        [MetaKey.token]: role === "manager" ? MOCK_TOKENS.manager : MOCK_TOKENS.worker,
        // Every node trusts the registry on manager-0, at manager-0's addresses.
        ...registryTrustMeta,
      });
    }
  });

  it("tells the engine the servers' metadata outputs are secret", () => {
    // Under mocks the engine applies no additionalSecretOutputs, so check the option itself.
    for (const server of run.ofType(INSTANCE)) {
      expect(server.additionalSecretOutputs).toEqual(
        expect.arrayContaining(["metadata", "allMetadata"]),
      );
    }
  });

  it("keeps every join token in the state inside a secret (`pulumi stack export`)", () => {
    const states = run.resources.map((r) => ({ name: r.name, state: recordedState(r) }));
    // A token, not the word: the scripts' redaction pattern names SWMTKN- too.
    const token = /SWMTKN-1-[A-Za-z0-9]{20,}-[A-Za-z0-9]{20,}/;
    const leaks = states.flatMap(({ name, state }) =>
      plaintextPaths(state, token).map((where) => `${name} ${where}`),
    );
    expect(leaks).toEqual([]);
    // Positive control: the tokens are in the state (metadata, bootstrap stdout), as secrets.
    expect(JSON.stringify(states)).toContain(MOCK_TOKENS.worker);
  });

  it("orders manager-0 -> bootstrap -> other nodes -> ready gate", () => {
    const bootstrap = run.byName(`${owner}-bootstrap-tokens`);
    expect(bootstrap.dependsOn).toEqual(
      expect.arrayContaining([`${owner}-manager-0-server`, `${owner}-ssh-reachable`]),
    );
    // The local reachability check names allowedCidrs when this machine cannot reach manager-0.
    const reach = run.byName(`${owner}-ssh-reachable`);
    expect(reach.type).toBe("command:local:Command");
    expect(reach.inputs.environment).toMatchObject({
      HOST: "203.0.113.10",
      PORT: "22",
      ALLOWED_CIDRS: ALLOWED.join(", "),
    });
    expect(bootstrap.inputs.secretStdout).toBe(true);
    expect(bootstrap.additionalSecretOutputs).toContain("stdout");
    const gate = run.byName(`${owner}-ready-check`);
    for (const name of all) expect(gate.dependsOn).toContain(`${name}-server`);
    // Every node at its port's address; on a first deployment no node is leaving.
    const gateCommand = (gate.inputs.create as { command: string }).command;
    expect(gateCommand).toMatch(
      new RegExp(
        `^bash -s -- \\d+ --remove-down ${owner}- ${owner}-manager-0:manager:10\\.42\\.0\\.\\d+ `,
      ),
    );
    for (const name of all) expect(gateCommand).toMatch(`${name}:`);
    for (const name of all.slice(1)) {
      expect(gate.dependsOn).toContain(`${name}-membership`);
      expect(run.byName(`${name}-membership`).dependsOn).toEqual(
        expect.arrayContaining([`${name}-server`, `${owner}-bootstrap-tokens`]),
      );
    }
  });

  it("re-reads the tokens for a new manager-0; with one manager, the others are replaced with it", () => {
    const manager0Server = `${owner}-manager-0-server`;
    expect(run.byName(manager0Server).replaceWith).toEqual([]);
    for (const name of all.slice(1)) {
      // With 3 managers a new manager-0 joins the survivors: nothing else is replaced.
      expect(run.byName(`${name}-server`).replaceWith).toEqual(
        managers === 1 ? [manager0Server] : [],
      );
    }
    // The mocks give each resource the id `<name>-id`.
    expect(run.byName(`${owner}-bootstrap-tokens`).inputs.triggers).toEqual([
      managers,
      workers,
      `${manager0Server}-id`,
    ]);
  });

  it("drains and removes a node from the swarm before its server is deleted", () => {
    for (const name of all.slice(1)) {
      const membership = run.byName(`${name}-membership`);
      expect(membership.type).toBe(COMMAND);
      expect(membership.inputs.create).toBeUndefined();
      const remove = (membership.inputs.delete as { command: string }).command;
      expect(remove).toMatch(/^bash -s -- /);
      expect(remove).toContain(name);
    }
  });

  it("serialises manager removals", () => {
    for (let i = 2; i < managers; i++) {
      expect(run.byName(`${owner}-manager-${i}-membership`).dependsOn).toContain(
        `${owner}-manager-${i - 1}-membership`,
      );
    }
  });

  it("exports outputs, with the private key secret and no token anywhere", async () => {
    const { exports, pulumi } = run;
    const out = (key: string) => exports[key] as import("@pulumi/pulumi").Output<unknown>;
    expect(await pulumi.isSecret(out("sshPrivateKey") as never)).toBe(true);
    expect(await valueOf(out("managerPublicIp"))).toBe("203.0.113.10");
    // The stack is named: the line printed for one stack never reads another stack's key.
    const ssh = await valueOf(out("sshCommand"));
    expect(ssh).toContain(`pulumi stack output --stack ${stack} --show-secrets sshPrivateKey`);
    expect(ssh).toContain(`umask 077`);
    expect(ssh).toContain(`ssh -i ${stack}.pem ubuntu@203.0.113.10`);
    const nodes = (await valueOf(out("nodes"))) as {
      name: string;
      role: string;
      publicIp?: string;
    }[];
    expect(nodes.map((n) => n.name)).toEqual(all);
    expect(nodes.filter((n) => n.publicIp).map((n) => n.role)).toEqual(
      Array(managers).fill("manager"),
    );
    const swarm = (await valueOf(out("swarm"))) as { name: string; state: string }[];
    expect(swarm.map((n) => n.name)).toEqual(all);
    const rendered = JSON.stringify(
      await Promise.all(
        Object.keys(exports)
          .filter((k) => k !== "sshPrivateKey")
          .map((k) => valueOf(out(k))),
      ),
    );
    expect(rendered).not.toContain(MOCK_TOKENS.worker);
    expect(rendered).not.toContain(MOCK_TOKENS.manager);
  });
});

describe("a scale-down", () => {
  it("lets the ready gate know the removed nodes of the previous deployment, at their addresses", async () => {
    const previous = {
      nodes: [
        { name: "hana-manager-0", role: "manager", privateIp: "10.42.0.10" },
        { name: "hana-worker-0", role: "worker", privateIp: "10.42.0.11" },
        { name: "hana-worker-1", role: "worker", privateIp: "10.42.0.12" },
      ],
    };
    const run = await runProgram(
      { allowedCidrs: JSON.stringify(ALLOWED), workers: "1" },
      "hana",
      swarmStdout(names("hana", 1, 1)),
      previous,
    );
    if (run.error !== undefined) throw run.error;
    const gate = (run.byName("hana-ready-check").inputs.create as { command: string }).command;
    expect(gate).toContain("--leaving hana-worker-1:10.42.0.12 ");
    expect(gate).not.toContain("--leaving hana-worker-0");
  });
});

describe("an existing 3+3 swarm whose manager-0 was lost (pulumi up --refresh)", () => {
  const previous = {
    nodes: names("kai", 3, 3).map((name, i) => ({
      name,
      role: name.includes("-manager-") ? "manager" : "worker",
      privateIp: `10.42.0.${10 + i}`,
      ...(name.includes("-manager-") ? { publicIp: `198.51.100.${20 + i}` } : {}),
    })),
  };
  const survivorsSaid = JSON.stringify({ ...MOCK_TOKENS, joinAddr: "10.42.0.11:2377" });

  async function heal(survivors: () => string) {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const run = await runProgram(
        { allowedCidrs: JSON.stringify(ALLOWED), managers: "3", workers: "3" },
        "kai",
        { ...swarmStdout(names("kai", 3, 3)), "-survivors": survivors },
        previous,
      );
      if (run.error !== undefined) throw run.error;
      const warnings = warn.mock.calls.map((call) => String(call[0]));
      return { run, warnings };
    } finally {
      warn.mockRestore();
    }
  }

  it("asks the previous managers in a fixed order, manager-0 first, before any server", async () => {
    const { run } = await heal(() => survivorsSaid);
    const survivors = run.byName("kai-survivors");
    expect(survivors.type).toBe(MANAGER_STEP);
    expect(survivors.inputs.managers).toEqual(["198.51.100.20", "198.51.100.21", "198.51.100.22"]);
    expect(survivors.dependsOn.filter((d) => d.endsWith("-server"))).toEqual([]);
    expect(survivors.inputs.whenUnreachable).toBe("skip");
    // Asked at refresh only (the `read` script): nothing runs on create or update, so a second
    // `up` runs nothing here (issue 22, item 7). The mock's answer stands for that refresh.
    expect(survivors.inputs.triggers).toEqual([]);
    expect(survivors.inputs.create).toBeUndefined();
    expect(survivors.inputs.read).toBeDefined();
    expect(survivors.additionalSecretOutputs).toContain("stdout");
    // The bootstrap, then the gate, try manager-0 first, then the others, in order.
    expect(run.byName("kai-bootstrap-tokens").inputs.managers).toEqual([
      "203.0.113.10",
      "198.51.100.21",
      "198.51.100.22",
    ]);
    expect(run.byName("kai-ready-check").inputs.managers).toEqual([
      "203.0.113.10",
      "203.0.113.11",
      "203.0.113.12",
    ]);
    // A node is never removed through itself.
    expect(run.byName("kai-manager-1-membership").inputs.managers).toEqual([
      "203.0.113.10",
      "203.0.113.12",
    ]);
  });

  it("gives a new manager-0 the survivors' manager token and address, so it joins them", async () => {
    const { run, warnings } = await heal(() => survivorsSaid);
    expect(secretValue(run.byName("kai-manager-0-server").inputs.metadata)).toMatchObject({
      [MetaKey.init]: "false",
      [MetaKey.role]: "manager",
      [MetaKey.joinAddr]: "10.42.0.11:2377",
      [MetaKey.token]: MOCK_TOKENS.manager,
    });
    // Losing manager-0 replaces only manager-0: no other server is tied to it.
    for (const name of names("kai", 3, 3)) {
      expect(run.byName(`${name}-server`).replaceWith).toEqual([]);
    }
    expect(warnings.filter((w) => /NEW swarm/.test(w))).toEqual([]);
  });

  it("starts a new swarm only when no manager answers, and says so", async () => {
    const { run, warnings } = await heal(() => NO_ANSWER);
    const meta = secretValue(run.byName("kai-manager-0-server").inputs.metadata) as Record<
      string,
      string
    >;
    expect(meta[MetaKey.init]).toBe("true");
    expect(meta[MetaKey.token]).toBeUndefined();
    // Only manager-0 can answer for a swarm it initialises.
    expect(run.byName("kai-bootstrap-tokens").inputs.managers).toEqual(["203.0.113.10"]);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^warning: \[runtime\] kai: no manager of the swarm answered over SSH \(tried 198\.51\.100\.20, 198\.51\.100\.21, 198\.51\.100\.22\): if manager-0 is created in this update it starts a NEW swarm/,
      ),
    ]);
  });

  it("says a rebuild (new user-data or image) starts a new swarm, and joins no survivor", async () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    const run = await runProgram(
      { allowedCidrs: JSON.stringify(ALLOWED), managers: "3", workers: "3" },
      "kai",
      { ...swarmStdout(names("kai", 3, 3)), "-survivors": () => survivorsSaid },
      { ...previous, rebuildKey: "an older user-data" },
    );
    const warnings = warn.mock.calls.map((call) => String(call[0]));
    warn.mockRestore();
    if (run.error !== undefined) throw run.error;
    // What a refresh read from the old swarm's managers is not used: manager-0 initialises.
    const meta = secretValue(run.byName("kai-manager-0-server").inputs.metadata) as Record<
      string,
      string
    >;
    expect(meta[MetaKey.init]).toBe("true");
    expect(meta[MetaKey.token]).toBeUndefined();
    expect(run.byName("kai-bootstrap-tokens").inputs.managers).toEqual(["203.0.113.10"]);
    expect(warnings).toEqual([
      expect.stringMatching(
        /kai: user-data or image changed, so every server is rebuilt and manager-0 starts a NEW swarm/,
      ),
    ]);
  });
});

describe("storage volumes", () => {
  // Issue 15: with Pulumi.yaml's defaults merged in (as the engine does), btrfs used to fail.
  it("gives each node a Cinder volume, a block device of its server, with its id in metadata (btrfs)", async () => {
    const run = await deploy({ storageDriver: "btrfs", dockerVolumeSize: "20" }, "carol", 1, 2);
    const volumes = run.ofType("openstack:blockstorage/volume:Volume");
    expect(volumes.map((v) => [v.inputs.name, v.inputs.size])).toEqual([
      ["carol-manager-0-docker", 20],
      ["carol-worker-0-docker", 20],
      ["carol-worker-1-docker", 20],
    ]);
    // Attached by Nova as a block device of each server (nodes.ts), not by a VolumeAttach, which
    // Pulumi deleted before the server, from a running guest.
    expect(
      run
        .ofType(INSTANCE)
        .map((server) =>
          (server.inputs.blockDevices as { uuid: string; sourceType: string }[])
            .filter((device) => device.sourceType === "volume")
            .map((device) => device.uuid),
        ),
    ).toEqual([
      ["carol-manager-0-docker-volume-id"],
      ["carol-worker-0-docker-volume-id"],
      ["carol-worker-1-docker-volume-id"],
    ]);
    const meta = secretValue(run.byName("carol-worker-1-server").inputs.metadata) as Record<
      string,
      string
    >;
    expect(meta[MetaKey.dockerVolume]).toBe("carol-worker-1-docker-volume-id");
  });
});

describe("an existing network", () => {
  it("creates no network, subnet or router and looks the network and its subnet up", async () => {
    const run = await deploy({ network: "course-net" }, "dave", 1, 0);
    expect(run.ofType("openstack:networking/network:Network")).toHaveLength(0);
    expect(run.ofType("openstack:networking/router:Router")).toHaveLength(0);
    const port = run.ofType("openstack:networking/port:Port")[0].inputs;
    expect(port.networkId).toBe("course-net-network-id");
    expect(port.fixedIps).toEqual([{ subnetId: "course-net-subnet-id" }]);
  });

  it("plans the overlay pool from the network's real subnet, not from cidr", async () => {
    // campus-net's subnet is 10.200.0.0/16, the first candidate pool: the next one is taken.
    const run = await deploy({ network: "campus-net" }, "dave", 1, 0);
    const userData = String(run.ofType(INSTANCE)[0].inputs.userData);
    expect(userData).toContain("SWARM_ADDRESS_POOL=172.29.0.0/16");
  });

  it("fails before any server exists when the real subnet has no room for every node", async () => {
    const run = await attempt({ network: "tiny-net", workers: "4" }, "dave", 1, 4);
    expect(run.ofType(INSTANCE)).toEqual([]);
    expect(run.error).toMatchObject({
      errors: [
        {
          propertyPath: "swarmlab:network",
          reason:
            'is "tiny-net" (subnet 192.168.10.0/29): it has room for 4 nodes but the cluster ' +
            "has 5; use a larger subnet such as 192.168.10.0/24",
        },
      ],
    });
  });
});

describe("a bad config", () => {
  it("fails with every problem and registers no resource", async () => {
    const run = await attempt(
      { managers: "2", storageDriver: "btrfs", allowedCidrs: '["10.0.0/8"]' },
      "erin",
      2,
      2,
    );
    expect(run.resources.filter((r) => !r.type.startsWith("pulumi:"))).toEqual([]);
    expect(String(run.error)).toMatch(/3 problems; nothing was created/);
    expect(run.error).toMatchObject({
      errors: [
        { propertyPath: "swarmlab:managers", reason: expect.stringContaining("odd number") },
        { propertyPath: "swarmlab:allowedCidrs", reason: expect.stringContaining("10.0.0/8") },
        { propertyPath: "swarmlab:dockerVolumeSize", reason: expect.stringContaining("btrfs") },
      ],
    });
  });
});

describe("optional hardening", () => {
  it("rotates the tokens and turns on autolock after the ready gate, keeping the key secret", async () => {
    const unlockKey = "SWMKEY-1-mockunlockkey0000000000000000000000000";
    const run = await runProgram(
      { allowedCidrs: JSON.stringify(ALLOWED), rotateJoinTokens: "true", autolock: "true" },
      "frank",
      { ...swarmStdout(names("frank", 1, 2)), "-autolock": () => `${unlockKey}\n` },
    );
    if (run.error !== undefined) throw run.error;
    for (const name of ["frank-rotate-tokens", "frank-autolock"]) {
      const step = run.byName(name);
      expect(step.dependsOn).toContain("frank-ready-check");
      expect(step.inputs.secretStdout).toBe(true);
      // A new manager-0 is a new swarm: unlocked, with tokens that were never rotated.
      expect(step.inputs.triggers).toContain("frank-manager-0-server-id");
    }
    const key = run.exports.swarmUnlockKey as import("@pulumi/pulumi").Output<string>;
    expect(await run.pulumi.isSecret(key)).toBe(true);
    expect(await valueOf(key)).toBe(unlockKey);
  });

  it("by default rotates the tokens and declares autolock off, so true -> false unlocks", async () => {
    const run = await deploy({}, "gina", 1, 1);
    expect(run.byName("gina-rotate-tokens").dependsOn).toContain("gina-ready-check");
    // The same command as with autolock on: its changed script re-runs it and turns autolock off.
    const autolock = run.byName("gina-autolock");
    expect(autolock.dependsOn).toContain("gina-ready-check");
    const script = autolock.inputs.create as { stdin: string };
    expect(script.stdin).toBe(autolockOffScript().stdin);
    expect(script.stdin).toContain("docker swarm update --autolock=false");
    expect(run.exports.swarmUnlockKey).toBeUndefined();
  });

  it("keeps the tokens with rotateJoinTokens: false", async () => {
    const run = await deploy({ rotateJoinTokens: "false" }, "iris", 1, 1);
    expect(run.resources.some((r) => /rotate-tokens/.test(r.name))).toBe(false);
  });
});
