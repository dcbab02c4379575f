/**
 * swarmlab:localPortOffset (infra/config/local-ports.ts): one integer added to every port the
 * local cloud publishes on 127.0.0.1, checked at preview with every problem and its fix.
 */
import {
  localHostPortProblems,
  localHostPorts,
  MAX_LOCAL_PORT_OFFSET,
} from "../../infra/config/local-ports";
import { LOCAL_ALLOWED_CIDR } from "../../infra/config/local-cloud";
import { parseLabConfig, RawConfig } from "../../infra/config/validate";
import { labStackChecks } from "../../infra/stacks/validate-stacks";

const LAPTOP = { totalMemoryBytes: 16 * 1024 ** 3 };
const local: RawConfig = { cloud: "docker", allowedCidrs: `["${LOCAL_ALLOWED_CIDR}"]` };

function parsed(raw: RawConfig) {
  return parseLabConfig(raw, "alice", undefined, LAPTOP);
}

function problemsOf(raw: RawConfig): string[] {
  const result = parsed(raw);
  if (result.ok) throw new Error(`expected problems for ${JSON.stringify(raw)}`);
  return result.problems.map((p) => `swarmlab:${p.key}: ${p.reason}`);
}

describe("the local cloud's host ports", () => {
  it("are 2222+i, 2376 and 5000 plus the offset, manager-0's SSH first", () => {
    expect(localHostPorts(3, 100).map((p) => [p.what, p.containerPort, p.hostPort])).toEqual([
      ["SSH of manager-0", 22, 2322],
      ["SSH of manager-1", 22, 2323],
      ["SSH of manager-2", 22, 2324],
      ["the Docker API", 2376, 2476],
      ["the lab registry", 5000, 5100],
    ]);
  });

  it("keep apart for every manager count and offset the config accepts", () => {
    for (const managers of [1, 3, 5, 7]) {
      for (const offset of [0, 1, 100, 2000, MAX_LOCAL_PORT_OFFSET]) {
        expect(localHostPortProblems(localHostPorts(managers, offset))).toEqual([]);
      }
    }
  });

  it("(the check itself: a port past 65535 and two on one number are reported)", () => {
    expect(
      localHostPortProblems([
        { what: "SSH of manager-0", containerPort: 22, hostPort: 2376 },
        { what: "the Docker API", containerPort: 2376, hostPort: 2376 },
        { what: "the lab registry", containerPort: 5000, hostPort: 65536 },
      ]),
    ).toEqual([
      "puts the Docker API and SSH of manager-0 both on port 2376; use another offset",
      `puts the lab registry on port 65536, outside 1 to 65535; use an offset from 0 to ${MAX_LOCAL_PORT_OFFSET}`,
    ]);
  });
});

describe("swarmlab:localPortOffset at preview", () => {
  it("defaults to 0 (the engine passes Pulumi.yaml's default) and takes an offset", () => {
    const zero = parsed({ ...local, localPortOffset: "0" });
    expect(zero.ok && zero.config.localPortOffset).toBe(0);
    const hundred = parsed({ ...local, localPortOffset: "100" });
    expect(hundred.ok && hundred.config.localPortOffset).toBe(100);
  });

  it("refuses an offset that pushes the registry past 65535, or a negative one, with the range", () => {
    const fix =
      "it is added to every port the local cloud publishes on 127.0.0.1, the registry's 5000 " +
      "the highest, which must stay at most 65535; use 0 to 60535, e.g. 100";
    expect(problemsOf({ ...local, localPortOffset: "60536" })).toEqual([
      `swarmlab:localPortOffset: is 60536: ${fix}`,
    ]);
    expect(problemsOf({ ...local, localPortOffset: "-1" })).toEqual([
      `swarmlab:localPortOffset: is -1: ${fix}`,
    ]);
    expect(problemsOf({ ...local, localPortOffset: "1.5" })).toEqual([
      `swarmlab:localPortOffset: is "1.5": it must be a whole number; ${fix}`,
    ]);
  });

  it("is refused on OpenStack, where nothing is published on this machine", () => {
    expect(problemsOf({ allowedCidrs: '["203.0.113.0/24"]', localPortOffset: "100" })).toEqual([
      'swarmlab:localPortOffset: is "100", but only the local cloud (swarmlab:cloud docker) ' +
        "publishes ports on this machine; on OpenStack the nodes keep their own ports; remove it " +
        "(`pulumi config rm swarmlab:localPortOffset`)",
    ]);
    const unset = parsed({ allowedCidrs: '["203.0.113.0/24"]', localPortOffset: "0" });
    expect(unset.ok ? [] : unset.problems).toEqual([]);
  });
});

describe("a stack's port on the local cloud (forwarded to 127.0.0.1 at published + offset)", () => {
  const override = (published: number) =>
    JSON.stringify({ hostname: { web: { ports: { "8080": { published } } } } });
  const withStacks = (raw: RawConfig) => parseLabConfig(raw, "alice", labStackChecks, LAPTOP);
  const reasons = (raw: RawConfig) => {
    const result = withStacks(raw);
    return result.ok ? [] : result.problems.map((p) => `swarmlab:${p.key}: ${p.reason}`);
  };

  it("is refused on a port the local cloud publishes itself (here manager-0's SSH)", () => {
    expect(reasons({ ...local, localPortOffset: "100", stackOverrides: override(2222) })).toEqual([
      "swarmlab:stackOverrides: hostname.web publishes port 2222, which the local cloud forwards " +
        "to 127.0.0.1:2322, where it publishes SSH of manager-0; publish it elsewhere, e.g. " +
        '{"hostname": {"web": {"ports": {"8080": 12222}}}}',
    ]);
    // On OpenStack 2222 is just a port.
    expect(reasons({ allowedCidrs: '["203.0.113.0/24"]', stackOverrides: override(2222) })).toEqual(
      [],
    );
  });

  it("is refused when the offset pushes it past 65535", () => {
    expect(reasons({ ...local, localPortOffset: "60000", stackOverrides: override(8080) })).toEqual(
      [
        "swarmlab:stackOverrides: hostname.web publishes port 8080, which the local cloud forwards " +
          "to 127.0.0.1:68080 (swarmlab:localPortOffset 60000 added), past 65535; publish it " +
          'lower, e.g. {"hostname": {"web": {"ports": {"8080": 5535}}}}, or use a smaller offset',
      ],
    );
  });

  it("passes with the default stack and offset", () => {
    expect(reasons({ ...local, localPortOffset: "100" })).toEqual([]);
  });
});
