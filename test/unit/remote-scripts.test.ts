import {
  bootstrapScript,
  parseJoinTokens,
  parseSwarmNodes,
  readyGateScript,
  removeNodeScript,
  rotateTokensScript,
  shellQuote,
} from "../../infra/swarm/remote-scripts";
import { templateFile } from "../../infra/nodes/templates";

const WORKER =
  "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx";
const MANAGER =
  "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-7p73s1dx5in4tatdymyhg9hu2";

describe("remote script builders", () => {
  it("run the template with lib.sh prepended, as bash -s with quoted arguments", () => {
    const script = bootstrapScript(600);
    expect(script.command).toBe("bash -s -- 600");
    expect(script.stdin.startsWith(templateFile("lib.sh"))).toBe(true);
    expect(script.stdin.endsWith(templateFile("swarm-bootstrap.sh"))).toBe(true);
  });

  it("pass the expected nodes as NAME:ROLE:ADDRESS and leaving ones as --leaving NAME:ADDRESS", () => {
    const script = readyGateScript(
      [
        { name: "alice-manager-0", role: "manager", address: "10.42.0.10" },
        { name: "alice-worker-0", role: "worker", address: "10.42.0.11" },
      ],
      300,
    );
    expect(script.command).toBe(
      "bash -s -- 300 alice-manager-0:manager:10.42.0.10 alice-worker-0:worker:10.42.0.11",
    );
    expect(script.stdin).toContain(templateFile("swarm-ready.sh"));
    const manager0 = { name: "alice-manager-0", role: "manager" as const, address: "10.42.0.10" };
    expect(
      readyGateScript([manager0], 60, [{ name: "alice-worker-1", address: "10.42.0.12" }]).command,
    ).toBe("bash -s -- 60 --leaving alice-worker-1:10.42.0.12 alice-manager-0:manager:10.42.0.10");
    expect(() => readyGateScript([{ ...manager0, address: "10.0.0.1; reboot" }], 60)).toThrow(
      /not an IP address/,
    );
  });

  it("build the node removal and token rotation", () => {
    expect(removeNodeScript("alice-worker-2", "worker", 120).command).toBe(
      "bash -s -- 120 alice-worker-2 worker",
    );
    expect(rotateTokensScript().command).toBe("bash -s --");
    expect(rotateTokensScript().stdin).toContain(templateFile("swarm-rotate-tokens.sh"));
  });

  it("refuse names, roles and timeouts that are not what the scripts expect", () => {
    expect(() => removeNodeScript("x; reboot", "worker", 60)).toThrow(
      /node name "x; reboot" must match/,
    );
    expect(() => removeNodeScript("w", "boss" as "worker", 60)).toThrow(/role "boss"/);
    expect(() => bootstrapScript(0)).toThrow(/positive whole number/);
    expect(() => bootstrapScript(1.5)).toThrow(/positive whole number/);
    expect(() => readyGateScript([], 60)).toThrow(/at least one/);
  });

  it("shellQuote leaves plain words and quotes the rest safely", () => {
    expect(shellQuote("alice-worker-0:worker")).toBe("alice-worker-0:worker");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote("$(reboot)")).toBe("'$(reboot)'");
    expect(shellQuote("")).toBe("''");
  });
});

describe("parseJoinTokens", () => {
  const line = JSON.stringify({ worker: WORKER, manager: MANAGER, joinAddr: "10.42.0.5:2377" });

  it("reads the bootstrap's JSON line", () => {
    expect(parseJoinTokens(`${line}\n`)).toEqual({
      worker: WORKER,
      manager: MANAGER,
      joinAddr: "10.42.0.5:2377",
    });
  });

  it("takes the last line when something printed before it", () => {
    expect(parseJoinTokens(`noise from a profile\n${line}\n\n`).joinAddr).toBe("10.42.0.5:2377");
  });

  it.each([
    ["empty output", ""],
    ["not JSON", `worker ${WORKER}`],
    [
      "a bad token",
      JSON.stringify({ worker: "nope", manager: MANAGER, joinAddr: "10.42.0.5:2377" }),
    ],
    ["no port", JSON.stringify({ worker: WORKER, manager: MANAGER, joinAddr: "10.42.0.5" })],
  ])("fails clearly on %s, without quoting the output", (_title, stdout) => {
    let message = "";
    try {
      parseJoinTokens(stdout);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/swarm bootstrap/);
    expect(message).toMatch(/withheld/);
    expect(message).not.toContain(WORKER.slice(10, 30));
    expect(message).not.toContain(MANAGER.slice(-20));
  });
});

describe("parseSwarmNodes", () => {
  it("reads the ready gate's JSON array", () => {
    const nodes = [
      {
        name: "m0",
        role: "manager",
        state: "Ready",
        availability: "Active",
        managerStatus: "Leader",
      },
      { name: "w0", role: "worker", state: "Ready", availability: "Active", managerStatus: "" },
    ];
    expect(parseSwarmNodes(JSON.stringify(nodes) + "\n")).toEqual(nodes);
  });

  it("fails on output that is not a node list", () => {
    expect(() => parseSwarmNodes("oops")).toThrow(/JSON array/);
    expect(() => parseSwarmNodes('{"name":"m0"}')).toThrow(/not a JSON array/);
    expect(() => parseSwarmNodes('[{"name":"m0"}]')).toThrow(/node 0 has no string "role"/);
    expect(() =>
      parseSwarmNodes(
        '[{"name":"m0","role":"boss","state":"","availability":"","managerStatus":""}]',
      ),
    ).toThrow(/role "boss"/);
  });
});
