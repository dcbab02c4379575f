/**
 * Issue 21, item 7: what the class runner makes the Pulumi CLI do, through the Automation API's
 * own code (the CLI cannot run here). A stand-in `pulumi` first on PATH records its command
 * lines and answers what the Automation API reads back: `pulumi version` (checked against the
 * SDK's minimum, automation/cmd.js), `stack output --json` and `stack history --json` (read
 * after an update, automation/stack.js). The flags it records are the ones @pulumi/pulumi's
 * automation/stack.js builds from UpOptions / PreviewOptions.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../scripts/class/main";
import { PulumiClassWorkspace } from "../../scripts/class/pulumi-workspace";

const ROOT = path.join(__dirname, "../..");

const FAKE_PULUMI = `#!/usr/bin/env bash
echo "$*" >>"$FAKE_CALLS"
case "$1 $2" in
  "version "*) echo "v3.270.0" ;;
  "stack output")
    # A stack with one secret output: masked unless --show-secrets, as the CLI prints it.
    if [[ " $* " == *" --show-secrets "* ]]; then echo '{"clientKey":"KEY of alice","owner":"alice"}'
    else echo '{"clientKey":"[secret]","owner":"alice"}'; fi ;;
  "stack ls") echo '[{"name":"alice","current":false,"resourceCount":3}]' ;;
  "stack history") echo '[{"kind":"update","result":"succeeded","startTime":"2026-12-01T21:00:00Z","endTime":"2026-12-01T21:05:00Z","resourceChanges":{"same":3}}]' ;;
esac
exit 0
`;

describe("PulumiClassWorkspace through the Automation API", () => {
  let dir: string;
  let calls: string;
  const saved = { PATH: process.env.PATH, FAKE_CALLS: process.env.FAKE_CALLS };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "class-automation-"));
    fs.mkdirSync(path.join(dir, "bin"));
    fs.writeFileSync(path.join(dir, "bin", "pulumi"), FAKE_PULUMI, { mode: 0o755 });
    calls = path.join(dir, "calls");
    process.env.PATH = `${path.join(dir, "bin")}${path.delimiter}${saved.PATH ?? ""}`;
    process.env.FAKE_CALLS = calls;
  });
  afterEach(() => {
    process.env.PATH = saved.PATH;
    if (saved.FAKE_CALLS === undefined) delete process.env.FAKE_CALLS;
    else process.env.FAKE_CALLS = saved.FAKE_CALLS;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const command = (verb: string) =>
    fs
      .readFileSync(calls, "utf8")
      .split("\n")
      .find((line) => line.startsWith(`${verb} `)) ?? "";

  it("up runs with the class policy pack and its config, as CI's previews do", async () => {
    await new PulumiClassWorkspace(ROOT).up("alice");
    const pack = path.join(ROOT, "policy");
    expect(command("up")).toContain(
      `--policy-pack ${pack} --policy-pack-config ${path.join(pack, "config.json")}`,
    );
    expect(command("up")).not.toContain("--refresh");
    expect(fs.existsSync(path.join(pack, "config.json"))).toBe(true);
  });

  it("up --refresh reaches `pulumi up --refresh`", async () => {
    await new PulumiClassWorkspace(ROOT).up("alice", { refresh: true });
    expect(command("up")).toMatch(/^up --yes --skip-preview --refresh --policy-pack /);
  });

  it("preview runs with the policy pack too", async () => {
    // The fake sends no engine events, so the Automation API warns that it found no summary:
    // the command line is what is checked here.
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      await new PulumiClassWorkspace(ROOT).preview("alice");
    } finally {
      warn.mockRestore();
    }
    expect(command("preview")).toContain(`--policy-pack ${path.join(ROOT, "policy")} `);
  });

  it("secretOutputs reveals the stack's secrets (for its bundle); outputs keeps them masked", async () => {
    const workspace = new PulumiClassWorkspace(ROOT);
    expect(await workspace.secretOutputs("alice")).toEqual({
      clientKey: "KEY of alice",
      owner: "alice",
    });
    expect(await workspace.outputs("alice")).toEqual({ clientKey: "[secret]", owner: "alice" });
    expect(await workspace.secretOutputs("bob")).toEqual({});
    expect(command("stack output")).toContain("--stack alice");
  });

  it("`npm run class -- up --refresh` runs `pulumi up --refresh` for each student", async () => {
    const project = path.join(dir, "project");
    fs.mkdirSync(project);
    fs.writeFileSync(
      path.join(project, "class.yaml"),
      "class:\n  swarmlab: { allowedCidrs: [203.0.113.0/24] }\nstudents: [alice, bob]\n",
    );
    const said: string[] = [];
    const quiet = ["log", "warn", "error"].map((method) =>
      jest.spyOn(console, method as "log").mockImplementation((line: unknown) => {
        said.push(String(line));
      }),
    );
    const write = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      expect(await main(["init"], project)).toBe(0);
      const code = await main(["up", "--refresh", "--skip-quota"], project);
      // On failure the diff shows what the class tool said.
      expect({ code, said: said.join("\n") }).toMatchObject({ code: 0 });
    } finally {
      for (const spy of [...quiet, write]) spy.mockRestore();
    }
    const ups = fs
      .readFileSync(calls, "utf8")
      .split("\n")
      .filter((line) => line.startsWith("up "));
    expect(ups).toHaveLength(2);
    for (const [line, id] of ups.map((l) => [l, /--stack (\w+)/.exec(l)?.[1]] as const)) {
      expect(["alice", "bob"]).toContain(id);
      expect(line).toMatch(
        /^up --yes --skip-preview --refresh --policy-pack \S+\/project\/policy /,
      );
    }
    // init, then an update per student, each a few `pulumi` processes (the Automation API's
    // version check, up, stack output, history): about 2 s on a quiet machine, past jest's
    // default 5 s once on a loaded one.
  }, 30_000);
});
