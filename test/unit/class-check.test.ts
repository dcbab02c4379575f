/**
 * Issue 28 item 2: planning a lab's checks, running them on a cluster, and the class and student
 * verbs. The SSH runner is replaced by a function that answers as a check script does on a
 * manager (one JSON line on stdout; what it prints is what test/templates/checks.test.ts shows
 * the real scripts print against a fake docker); the class's stacks by the fake workspace (the
 * Pulumi CLI cannot run here). The real SSH runner is driven where it needs no network: a
 * cluster without pinned host keys, which ManagerStep's provider refuses before connecting.
 */
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FakeClassWorkspace } from "../../scripts/class/fake-workspace";
import { main } from "../../scripts/class/main";
import type { Reporter } from "../../scripts/class/runner";
import { bundleSource } from "../../scripts/bundle/contents";
import type { KnownHost } from "../../scripts/bundle/host-keys";
import { writeBundle } from "../../scripts/bundle/write-bundle";
import { accessFromOutputs, ClusterAccess, knownHostKey } from "../../scripts/checks/access";
import { classCheckMain } from "../../scripts/checks/class-check";
import { LabChecks, readChecks } from "../../scripts/checks/lab-checks";
import { CHECK_LIB, checkScript, parseCheckOutput, planChecks } from "../../scripts/checks/plan";
import { runChecks, ScriptRunner } from "../../scripts/checks/run-checks";
import { studentCheckMain } from "../../scripts/checks/main";
import { sshFingerprint } from "../../infra/swarm/host-key-pin-provider";
import type { RemoteScript } from "../../infra/swarm/remote-scripts";

const verdict = (check: string, status: string, message: string, evidence = {}) =>
  `${JSON.stringify({ check, status, message, evidence })}\n`;

/** The check's name and its variables, read back from the stdin the runner would send. */
function sent(script: RemoteScript): { check: string; vars: Record<string, string> } {
  const vars = Object.fromEntries(
    [...script.stdin.matchAll(/^([A-Z_]+)=('?)([^';\n]*)\2; export \1$/gm)].map((m) => [
      m[1],
      m[3],
    ]),
  );
  const check = /^export CHECK=(\S+)$/m.exec(script.stdin)?.[1] ?? "";
  return { check, vars };
}

const hostnameLab = readChecks("hostname");

describe("planChecks", () => {
  const lab: LabChecks = {
    lab: "demo",
    checks: [
      {
        name: "image",
        text: "#   SERVICE   the service (required)\n#   REGISTRY  the registry (required)\n",
      },
      { name: "mtu", text: "#   EXPECTED_MTU  the MTU (required)\n#   MIN  optional\n" },
    ],
    params: { image: { SERVICE: "counter_web", REGISTRY: "params.example:5000" } },
  };

  it("takes the outputs, then the lab's params.yaml, then --set; only a script's own variables", () => {
    const planned = planChecks(
      lab,
      { registryInternal: "10.0.0.5:5000", overlayMtu: 1450 },
      {
        overrides: { MIN: "3", REGISTRY: "set.example:5000" },
      },
    );
    expect(planned).toEqual([
      expect.objectContaining({
        name: "image",
        params: { SERVICE: "counter_web", REGISTRY: "set.example:5000" },
        missing: [],
      }),
      expect.objectContaining({
        name: "mtu",
        params: { EXPECTED_MTU: "1450", MIN: "3" },
        missing: [],
      }),
    ]);
  });

  it("names a required variable nothing gave, and runs nothing for that check", async () => {
    const planned = planChecks(lab, {}, { only: ["mtu"] });
    if ("error" in planned) throw new Error(planned.error);
    expect(planned[0].missing).toEqual(["EXPECTED_MTU"]);
    const runner = jest.fn<Promise<string>, Parameters<ScriptRunner>>();
    const [result] = await runChecks(access("alice"), planned, runner);
    expect(runner).not.toHaveBeenCalled();
    expect(result).toEqual({
      check: "mtu",
      status: "error",
      message:
        "the check mtu needs EXPECTED_MTU, which neither the cluster's outputs nor the lab's " +
        "params.yaml give: run it again with --set EXPECTED_MTU=VALUE (the script's header says what each means)",
      evidence: { missing: ["EXPECTED_MTU"] },
    });
  });

  it("refuses --check names the lab has not, naming the ones it has", () => {
    expect(planChecks(lab, {}, { only: ["spread"] })).toEqual({
      error: "--check names checks demo has not: spread (it has image, mtu)",
    });
  });

  it("plans the hostname lab's shipped checks from its params.yaml", () => {
    const planned = planChecks(hostnameLab, {});
    if ("error" in planned) throw new Error(planned.error);
    expect(planned.map((c) => [c.name, c.params, c.missing])).toEqual([
      ["converged", { STACK: "hostname" }, []],
      ["rescheduled", { SERVICE: "hostname_web" }, []],
      ["rolling-update", { SERVICE: "hostname_web" }, []],
      ["spread", { SERVICE: "hostname_web", MIN_NODES: "2" }, []],
    ]);
  });

  it("sends the variables, then the checks' helpers, then the check on stdin (never in the command), through sudo unless root", () => {
    const [spread] = planChecks(hostnameLab, {}, { only: ["spread"] }) as ReturnType<
      typeof planChecks
    > &
      unknown[];
    const script = checkScript(spread as never, "ubuntu");
    expect(script.command).toBe("sudo -n sh -s");
    expect(script.stdin).toBe(
      `MIN_NODES=2; export MIN_NODES\nSERVICE=hostname_web; export SERVICE\n${CHECK_LIB}${(spread as { text: string }).text}`,
    );
    expect(CHECK_LIB).toMatch(/^require_manager\(\) \{$/m);
    expect(checkScript(spread as never, "root").command).toBe("sh -s");
  });
});

describe("parseCheckOutput", () => {
  it("takes the last line's verdict", () => {
    expect(
      parseCheckOutput(
        "spread",
        `noise\n${verdict("spread", "fail", "Only one node.", { nodes: 1 })}`,
      ),
    ).toEqual({
      check: "spread",
      status: "fail",
      message: "Only one node.",
      evidence: { nodes: 1 },
    });
  });

  it.each([
    ["", "the check spread printed nothing", {}],
    [
      "Segmentation fault\n",
      "the check spread printed a line that is not JSON",
      { line: "Segmentation fault" },
    ],
    [
      verdict("converged", "pass", "x"),
      "the check spread printed JSON without its check name, a pass/fail status and a message",
      { line: verdict("converged", "pass", "x").trim() },
    ],
    [
      verdict("spread", "maybe", "x"),
      "the check spread printed JSON without its check name, a pass/fail status and a message",
      { line: verdict("spread", "maybe", "x").trim() },
    ],
  ])("makes %j an error result, not a crash", (stdout, message, evidence) => {
    expect(parseCheckOutput("spread", stdout)).toEqual({
      check: "spread",
      status: "error",
      message,
      evidence,
    });
  });
});

/** Access to a student's cluster as the outputs of the fake give it. */
function access(id: string): ClusterAccess {
  return {
    stack: id,
    managers: ["203.0.113.10"],
    hostKeys: {},
    user: "ubuntu",
    privateKey: `KEY of ${id}`,
  };
}

describe("runChecks", () => {
  it("turns a runner failure (unreachable, changed host key, non-zero exit) into an error result", async () => {
    const planned = planChecks(hostnameLab, {}, { only: ["converged", "spread"] });
    if ("error" in planned) throw new Error(planned.error);
    const runner: ScriptRunner = async (_a, script, description) => {
      if (sent(script).check === "converged")
        throw new Error(`${description}: no manager answered SSH within 20 s`);
      return "not json at all\n";
    };
    expect(await runChecks(access("alice"), planned, runner)).toEqual([
      {
        check: "converged",
        status: "error",
        message: "check converged (alice): no manager answered SSH within 20 s",
        evidence: {},
      },
      {
        check: "spread",
        status: "error",
        message: "the check spread printed a line that is not JSON",
        evidence: { line: "not json at all" },
      },
    ]);
  });
});

/** The fake workspace with the outputs a real stack has that the checks read. */
class ClusterWorkspace extends FakeClassWorkspace {
  async secretOutputs(id: string): Promise<Record<string, unknown>> {
    const outputs = await super.secretOutputs(id);
    if (Object.keys(outputs).length === 0) return outputs;
    const ip = outputs.managerPublicIp as string;
    return {
      ...outputs,
      overlayMtu: 1450,
      nodes: [
        { name: `${id}-manager-0`, role: "manager", privateIp: "10.0.0.5", publicIp: ip },
        { name: `${id}-worker-0`, role: "worker", privateIp: "10.0.0.6" },
      ],
      hostKeys: {
        [ip]: { server: `${id}-manager-0`, fingerprint: `SHA256:pin-of-${id}`, pin: "urn" },
      },
    };
  }
}

async function classUp(ids: string[]): Promise<ClusterWorkspace> {
  const workspace = new ClusterWorkspace({ delayMs: 0 });
  for (const id of ids) await workspace.up(id);
  return workspace;
}

/** Answers per student: alice passes all, bob's spread fails, carol's cluster never answers. */
const classRunner: ScriptRunner = async (a, script) => {
  const { check } = sent(script);
  if (a.stack === "carol")
    throw new Error(`check ${check} (carol): no manager answered SSH within 20 s`);
  if (a.stack === "bob" && check === "spread") {
    return verdict(
      "spread",
      "fail",
      "hostname_web runs 3 replicas on only 1 node(s) (bob-worker-0).",
      { nodes: { "bob-worker-0": 3 } },
    );
  }
  return verdict(check, "pass", `${check} is fine.`);
};

function quiet(): { said: string[]; restore: () => void } {
  const said: string[] = [];
  const spies = ["log", "warn", "error"].map((method) =>
    jest
      .spyOn(console, method as "log")
      .mockImplementation((line: unknown) => void said.push(String(line))),
  );
  const write = jest.spyOn(process.stdout, "write").mockImplementation((chunk: unknown) => {
    said.push(String(chunk));
    return true;
  });
  return { said, restore: () => [...spies, write].forEach((s) => s.mockRestore()) };
}

const silentDisplay = () => {
  const seen: string[] = [];
  const reporter: Reporter & { close(): Promise<void>; seen: string[] } = {
    seen,
    update: (id, state, phase) => void seen.push(`${id} ${state}${phase ? ` ${phase}` : ""}`),
    close: async () => undefined,
  };
  return reporter;
};

describe("npm run class -- check <lab>", () => {
  let dir: string;
  const version = () => Promise.resolve("v3.270.0\n");
  const now = () => new Date("2026-12-02T04:00:00Z");
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "class-check-"));
    fs.writeFileSync(
      path.join(dir, "class.yaml"),
      "class:\n  swarmlab: { allowedCidrs: [203.0.113.0/24] }\nstudents: [alice, bob, carol]\n",
    );
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function classCheck(argv: string[], workspace: FakeClassWorkspace, runner = classRunner) {
    const display = silentDisplay();
    const out = quiet();
    try {
      const code = await classCheckMain(argv, dir, {
        pulumiVersion: version,
        makeWorkspace: () => workspace,
        runner,
        now,
        reporter: () => display,
      });
      return { code, output: out.said.join(""), display: display.seen };
    } finally {
      out.restore();
    }
  }

  it("prints student x check, the failures' messages below, and exits 1 when one did not pass", async () => {
    const workspace = await classUp(["alice", "bob", "carol"]);
    const { code, output } = await classCheck(
      ["check", "hostname", "--check", "converged,spread"],
      workspace,
    );
    expect(code).toBe(1);
    expect(output).toBe(
      [
        "",
        "| student | converged | spread |",
        "| ------- | --------- | ------ |",
        "| alice   | pass      | pass   |",
        "| bob     | pass      | FAIL   |",
        "| carol   | error     | error  |",
        "",
        "hostname: 3 of 6 checks passed.",
        "",
        "- bob spread (fail): hostname_web runs 3 replicas on only 1 node(s) (bob-worker-0).",
        "- carol converged (error): check converged (carol): no manager answered SSH within 20 s",
        "- carol spread (error): check spread (carol): no manager answered SSH within 20 s",
        "",
      ].join("\n"),
    );
  });

  it("reaches each cluster with that student's own key and host-key pin only", async () => {
    const workspace = await classUp(["alice", "bob"]);
    const seen: ClusterAccess[] = [];
    const runner: ScriptRunner = async (a, script) => {
      seen.push(a);
      return verdict(sent(script).check, "pass", "ok");
    };
    const { code } = await classCheck(
      ["check", "hostname", "--only", "alice,bob", "--check", "spread"],
      workspace,
      runner,
    );
    expect(code).toBe(0);
    expect(
      seen.map((a) => [
        a.stack,
        a.privateKey,
        a.user,
        a.managers,
        Object.values(a.hostKeys).map((k) => k.fingerprint),
      ]),
    ).toEqual([
      ["alice", "SSH KEY of alice\n", "ubuntu", ["203.0.113.10"], ["SHA256:pin-of-alice"]],
      ["bob", "SSH KEY of bob\n", "ubuntu", ["203.0.113.11"], ["SHA256:pin-of-bob"]],
    ]);
  });

  it("runs at most --parallel clusters at once and shows each check in the live display", async () => {
    const workspace = await classUp(["alice", "bob", "carol"]);
    let active = 0;
    let most = 0;
    const runner: ScriptRunner = async (_a, script) => {
      active += 1;
      most = Math.max(most, active);
      await new Promise((resolve) => setTimeout(resolve, 20));
      active -= 1;
      return verdict(sent(script).check, "pass", "ok");
    };
    const { display } = await classCheck(
      ["check", "hostname", "--parallel", "2", "--check", "spread"],
      workspace,
      runner,
    );
    expect(most).toBe(2);
    expect(display.filter((l) => l.startsWith("alice"))).toEqual([
      "alice queued",
      "alice running reading outputs",
      "alice running spread",
      "alice ok",
    ]);
  });

  it("writes CSV and JSON, and saves the run for the dashboard", async () => {
    const workspace = await classUp(["alice", "bob"]);
    const csv = await classCheck(
      ["check", "hostname", "--only", "alice,bob", "--check", "spread", "--format", "csv"],
      workspace,
    );
    expect(csv.output).toBe("student,spread\r\nalice,pass\r\nbob,FAIL\r\n");
    const json = await classCheck(
      ["check", "hostname", "--only", "alice", "--check", "spread", "--format", "json"],
      workspace,
    );
    const run = {
      format: 1,
      lab: "hostname",
      at: "2026-12-02T04:00:00.000Z",
      checks: ["spread"],
      students: [
        {
          id: "alice",
          results: [{ check: "spread", status: "pass", message: "spread is fine.", evidence: {} }],
        },
      ],
    };
    expect(JSON.parse(json.output)).toEqual(run);
    expect(
      JSON.parse(fs.readFileSync(path.join(dir, "class-checks", "hostname.json"), "utf8")),
    ).toEqual(run);
  });

  it("says which students have no cluster yet, and refuses a lab without checks", async () => {
    const workspace = await classUp(["alice"]);
    const { output } = await classCheck(
      ["check", "hostname", "--only", "bob", "--check", "spread"],
      workspace,
    );
    expect(output).toContain(
      "- bob: no output managerPublicIp, sshUser, sshPrivateKey: run `npm run class -- up --only bob` first",
    );
    const none = await classCheck(["check", "visualizer"], workspace);
    expect(none.code).toBe(2);
    expect(none.output).toContain(
      "the lab visualizer has no checks: stacks/visualizer/checks/*.sh",
    );
  });

  it("is a verb of npm run class: with the real SSH runner, unpinned managers are never contacted", async () => {
    // A stack whose outputs carry no hostKeys (HostKeyPin has not run): ManagerStep's provider
    // tries only pinned managers, so every check is an error result at once, with no connection
    // attempted.
    const workspace = new (class extends FakeClassWorkspace {
      async secretOutputs(id: string): Promise<Record<string, unknown>> {
        const outputs = { ...(await super.secretOutputs(id)) };
        delete outputs.hostKeys;
        return outputs;
      }
    })({ delayMs: 0 });
    await workspace.up("alice");
    const out = quiet();
    let code;
    try {
      code = await main(
        ["check", "hostname", "--only", "alice", "--check", "spread"],
        dir,
        version,
        () => workspace,
      );
    } finally {
      out.restore();
    }
    expect(code).toBe(1);
    expect(out.said.join("")).toContain(
      "- alice spread (error): check spread (alice): no manager answered SSH within 20 s (203.0.113.10: no pinned host key (its HostKeyPin has not run yet))",
    );
  });
});

/** An OpenSSH ed25519 public key line and its fingerprint, from a real key pair. */
function hostKeyLine(): { line: string; fingerprint: string } {
  const { publicKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  // The SSH wire format of a key: string "ssh-ed25519", string <32 key bytes> (RFC 8709).
  const wire = (b: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(b.length);
    return Buffer.concat([length, b]);
  };
  const blob = Buffer.concat([wire(Buffer.from("ssh-ed25519")), wire(raw)]);
  return { line: `ssh-ed25519 ${blob.toString("base64")}`, fingerprint: sshFingerprint(blob) };
}

describe("npm run check -- <lab> (a student, with their bundle)", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "student-check-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A bundle as `class bundles` writes it, known_hosts holding the keys it read and checked. */
  async function bundleOf(id: string, knownHosts: KnownHost[]): Promise<string> {
    const workspace = await classUp([id]);
    const source = bundleSource(id, await workspace.secretOutputs(id));
    if ("missing" in source) throw new Error(`missing ${source.missing.join(", ")}`);
    const folder = path.join(dir, id);
    await writeBundle(folder, source, knownHosts);
    return folder;
  }

  it("gives the same table as the class run for their cluster, pinned to their known_hosts", async () => {
    const key = hostKeyLine();
    const folder = await bundleOf("alice", [
      { address: "203.0.113.10", server: "alice-manager-0", publicKey: key.line },
    ]);
    const seen: ClusterAccess[] = [];
    const runner: ScriptRunner = async (a, script) => {
      seen.push(a);
      return classRunner({ ...a, stack: "bob" }, script, "check");
    };
    const out = quiet();
    let code;
    try {
      code = await studentCheckMain(
        ["hostname", "--bundle", folder, "--check", "converged,spread"],
        dir,
        { runner },
      );
    } finally {
      out.restore();
    }
    expect(code).toBe(1);
    expect(seen[0]).toEqual({
      stack: "alice",
      managers: ["203.0.113.10"],
      hostKeys: {
        "203.0.113.10": { server: "alice-manager-0", fingerprint: key.fingerprint, pin: "" },
      },
      user: "ubuntu",
      privateKey: "SSH KEY of alice\n",
    });
    expect(out.said.join("")).toContain(
      "| alice   | pass      | FAIL   |\n\nhostname: 1 of 2 checks passed.\n\n- alice spread (fail): hostname_web runs 3 replicas on only 1 node(s) (bob-worker-0).\n",
    );
  });

  it("refuses to send anything when the bundle's known_hosts has no key of manager-0", async () => {
    // An empty known_hosts: a folder from before bundles pinned host keys, or one edited by hand.
    const folder = await bundleOf("alice", []);
    const runner = jest.fn<Promise<string>, Parameters<ScriptRunner>>();
    const out = quiet();
    let code;
    try {
      code = await studentCheckMain(["hostname", "--bundle", folder], dir, { runner });
    } finally {
      out.restore();
    }
    expect(code).toBe(2);
    expect(runner).not.toHaveBeenCalled();
    expect(out.said.join("\n")).toContain(
      "the bundle's known_hosts has no ssh-ed25519 key of 203.0.113.10, and a check sends nothing to a server whose key it cannot verify: ask your teacher for a new bundle (`npm run class -- bundles` writes known_hosts from the keys pinned in the state)",
    );
  });

  it("takes the overlay-mtu check's EXPECTED_MTU from the bundle (the overlayMtu output)", async () => {
    const key = hostKeyLine();
    const folder = await bundleOf("alice", [
      { address: "203.0.113.10", server: "alice-manager-0", publicKey: key.line },
    ]);
    const stdins: string[] = [];
    const runner: ScriptRunner = async (_access, script) => {
      stdins.push(script.stdin);
      return '{"check":"overlay-mtu","status":"pass","message":"ok","evidence":{}}';
    };
    const out = quiet();
    let code;
    try {
      code = await studentCheckMain(
        ["counter", "--bundle", folder, "--check", "overlay-mtu"],
        dir,
        { runner },
      );
    } finally {
      out.restore();
    }
    expect(code).toBe(0);
    expect(stdins).toHaveLength(1);
    expect(stdins[0]).toContain("EXPECTED_MTU=1450");
  });

  it("says which folder is not a bundle", async () => {
    const out = quiet();
    let code;
    try {
      code = await studentCheckMain(["hostname", "--bundle", "no-such-folder"], dir);
    } finally {
      out.restore();
    }
    expect(code).toBe(2);
    expect(out.said.join("\n")).toContain(
      `${path.join(dir, "no-such-folder", "bundle.json")} not found: give --bundle the folder your teacher handed you`,
    );
  });

  it("reads known_hosts lines as OpenSSH writes them, a port in brackets too", () => {
    const key = hostKeyLine();
    const text = `# comment\n198.51.100.1 ${key.line}\n203.0.113.10 ecdsa-sha2-nistp256 AAAA\n[203.0.113.10]:22 ${key.line}\n`;
    expect(knownHostKey(text, "203.0.113.10")).toBe(key.fingerprint);
    expect(knownHostKey(text, "192.0.2.1")).toBeUndefined();
  });
});

describe("accessFromOutputs", () => {
  it("tries manager-0 first, then the other managers' floating IPs", () => {
    const found = accessFromOutputs("alice", {
      managerPublicIp: "203.0.113.10",
      sshUser: "ubuntu",
      sshPrivateKey: "KEY",
      nodes: [
        { name: "alice-manager-1", role: "manager", publicIp: "203.0.113.12" },
        { name: "alice-manager-0", role: "manager", publicIp: "203.0.113.10" },
        { name: "alice-worker-0", role: "worker" },
      ],
    });
    expect(found).toMatchObject({ managers: ["203.0.113.10", "203.0.113.12"] });
  });
});
