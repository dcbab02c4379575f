/**
 * The stack keys beside swarmlab:stacks: stacksDir (a course's own folders of stacks) and
 * stackExternals (external secrets, networks and node labels), checked at preview through the
 * program's one stack check (labStackChecks), and the same check in the offline commands.
 * Config goes through engineConfig, the engine's merge of Pulumi.yaml's defaults.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseRoster } from "../../scripts/class/roster";
import { affectedStacks, StackUse, stackUse } from "../../scripts/preview-summary/affected-stacks";
import { checkStackFile } from "../../scripts/lib/check-stack-file";
import { engineConfig } from "../../scripts/lib/engine-config";
import { parseLabConfig, RawConfig } from "../../infra/config/validate";
import { parseStackExternals } from "../../infra/config/stack-externals";
import { labStackChecks } from "../../infra/stacks/validate-stacks";
import { publishedPortRules } from "../../infra/network/firewall-rules";
import { chosenStackPorts } from "../../infra/stacks/published-ports";
import { stackFolders } from "../../infra/stacks/catalog";

const ROOT = path.join(__dirname, "..", "..");
const CORPUS = "test/unit/fixtures/stack-corpus";
const ALLOWED = '["203.0.113.0/24"]';

function problemsOf(keys: RawConfig): string[] {
  const result = parseLabConfig(engineConfig("alice", keys), "alice", labStackChecks);
  return result.ok ? [] : result.problems.map((p) => `swarmlab:${p.key}: ${p.reason}`);
}

const tmpDirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-stacksdir-"));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => tmpDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

describe("swarmlab:stacksDir", () => {
  it("adds a folder of stacks beside stacks/, as one folder or a list", () => {
    expect(
      problemsOf({ allowedCidrs: ALLOWED, stacks: '["hostname","anchors"]', stacksDir: CORPUS }),
    ).toEqual([]);
    expect(
      problemsOf({
        allowedCidrs: ALLOWED,
        stacks: '["anchors","missing-file"]',
        stacksDir: JSON.stringify([CORPUS, "test/unit/fixtures/bad-stacks"]),
      }),
    ).toEqual([
      "swarmlab:stacks: missing-file: bad-stacks/missing-file/compose.yaml secrets.token.file: ./token.txt not found beside the compose file (docker stack deploy reads it from missing-file/./token.txt); add the file or fix the path",
      "swarmlab:stacks: missing-file: bad-stacks/missing-file/compose.yaml services.web.env_file[0]: web.env not found beside the compose file (docker stack deploy reads it from missing-file/web.env); add the file or fix the path",
    ]);
  });

  it("without it, a stack of another folder is unknown, and the folders searched are named", () => {
    expect(problemsOf({ allowedCidrs: ALLOWED, stacks: '["voting"]' })).toEqual([
      'swarmlab:stacks: names "voting", which is not a stack of stacks/: choose from counter, hostname, mediawiki, monitoring, proxy, visualizer',
    ]);
    const [problem] = problemsOf({ allowedCidrs: ALLOWED, stacks: '["votin"]', stacksDir: CORPUS });
    expect(problem).toMatch(
      /^swarmlab:stacks: names "votin", which is not a stack of stacks\/ or test\/unit\/fixtures\/stack-corpus\/: choose from .*voting/,
    );
  });

  it("refuses a stack name found in two folders, naming both", () => {
    expect(problemsOf({ allowedCidrs: ALLOWED, stacks: '["proxy"]', stacksDir: CORPUS })).toEqual([
      'swarmlab:stacksDir: stack "proxy" is in stacks and test/unit/fixtures/stack-corpus; rename one of the folders (a stack name must be found in one place only)',
    ]);
  });

  it("refuses a folder that does not exist, and a value that is not a folder or list", () => {
    expect(
      problemsOf({ allowedCidrs: ALLOWED, stacks: '["hostname"]', stacksDir: "course/stacks" }),
    ).toEqual([
      "swarmlab:stacksDir: names course/stacks, which is not a folder; give a folder of stacks (<name>/compose.yaml) relative to the project root",
    ]);
    expect(problemsOf({ allowedCidrs: ALLOWED, stacksDir: "[1, 2]" })).toEqual([
      'swarmlab:stacksDir: is "[1, 2]": name a folder of stacks relative to the project root ("course/stacks") or a list of them',
    ]);
  });

  it("follows a symlinked folder of stacks, and a symlinked stack inside it", () => {
    const dir = tmpDir();
    fs.symlinkSync(path.join(ROOT, CORPUS), path.join(dir, "course"));
    const own = path.join(dir, "own");
    fs.mkdirSync(own);
    fs.symlinkSync(path.join(ROOT, CORPUS, "anchors"), path.join(own, "linked-anchors"));
    const keys = {
      allowedCidrs: ALLOWED,
      stacks: '["defaults","linked-anchors"]',
      stacksDir: JSON.stringify([path.join(dir, "course"), own]),
    };
    expect(problemsOf(keys)).toEqual([]);
  });
});

describe("swarmlab:stackExternals", () => {
  it("refuses at preview an external secret and node label a chosen stack needs and nobody declared", () => {
    const shape =
      "(the key's shape: {secrets: {NAME: {generate: true} | {value: <pulumi config set --secret>}}, networks: {NAME: {}}, nodeLabels: {worker-0: {LABEL: VALUE}}})";
    expect(
      problemsOf({ allowedCidrs: ALLOWED, stacks: '["external-secret"]', stacksDir: CORPUS }),
    ).toEqual([
      `swarmlab:stackExternals: external-secret: stack-corpus/external-secret/compose.yaml secrets.db_root needs the external secret "db_root", which swarmlab:stackExternals does not declare; add {"secrets": {"db_root": {"generate": true}}} ${shape}`,
      `swarmlab:stackExternals: external-secret: stack-corpus/external-secret/compose.yaml services.db.deploy.placement.constraints[0] needs the external node label "storage", which swarmlab:stackExternals does not declare; add {"nodeLabels": {"worker-0": {"storage": "true"}}} ${shape}`,
    ]);
  });

  it("accepts them declared, with the secret's value as a Pulumi secret or generated", () => {
    const externals = {
      secrets: { db_root: { value: { secure: "v1:abc" } } },
      nodeLabels: { "worker-1": { storage: "ssd" } },
    };
    expect(
      problemsOf({
        allowedCidrs: ALLOWED,
        stacks: '["external-secret"]',
        stacksDir: CORPUS,
        stackExternals: JSON.stringify(externals),
      }),
    ).toEqual([]);
    expect(parseStackExternals(JSON.stringify(externals), { managers: 1, workers: 2 })).toEqual({
      externals: {
        secrets: { db_root: { source: "value" } },
        networks: {},
        nodeLabels: { "worker-1": { storage: "ssd" } },
      },
      problems: [],
    });
  });

  it("names an external network a stack needs", () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, "shared-net"));
    fs.writeFileSync(
      path.join(dir, "shared-net", "compose.yaml"),
      [
        'version: "3.8"',
        "services:",
        "  web: { image: nginx:1.27, networks: [edge] }",
        "networks:",
        "  edge: { external: true, name: lab-edge }",
        "",
      ].join("\n"),
    );
    const keys = { allowedCidrs: ALLOWED, stacks: '["shared-net"]', stacksDir: dir };
    expect(problemsOf(keys)).toEqual([
      expect.stringMatching(
        /^swarmlab:stackExternals: shared-net: .*compose.yaml networks.edge needs the external network "lab-edge", .*add \{"networks": \{"lab-edge": \{\}\}\}/,
      ),
    ]);
    expect(
      problemsOf({ ...keys, stackExternals: JSON.stringify({ networks: { "lab-edge": {} } }) }),
    ).toEqual([]);
  });

  it("refuses bad shapes, every problem at once, never quoting a secret", () => {
    const text = JSON.stringify({
      secrets: { api: { value: "" }, "bad name": { generate: true }, pw: "hunter2-in-the-clear" },
      networks: { edge: { driver: "bridge" } },
      nodeLabels: { "worker-5": { db: "true" }, "manager-0": { "": "x", zone: "a b" } },
      volumes: {},
    });
    const problems = problemsOf({ allowedCidrs: ALLOWED, stackExternals: text });
    expect(problems).toEqual([
      "swarmlab:stackExternals: volumes is not something swarmlab creates (secrets, networks, nodeLabels)",
      "swarmlab:stackExternals: secrets.api must be {generate: true} (a random password) or {value: ...} set with `pulumi config set --secret --path 'swarmlab:stackExternals.secrets.api.value' VALUE`",
      'swarmlab:stackExternals: secrets.bad name: "bad name" is not a swarm secret name (a-z, A-Z, 0-9, _ . -; at most 64)',
      "swarmlab:stackExternals: secrets.pw must be {generate: true} (a random password) or {value: ...} set with `pulumi config set --secret --path 'swarmlab:stackExternals.secrets.pw.value' VALUE`",
      'swarmlab:stackExternals: networks.edge is {"driver":"bridge"}: write {} or {attachable: true} (an overlay network at the overlay MTU)',
      'swarmlab:stackExternals: nodeLabels.worker-5: "worker-5" is not a node of this cluster; name one of manager-0, worker-0, worker-1 (role-index, the same for every student)',
      "swarmlab:stackExternals: nodeLabels.manager-0.: not a label name (a-z, A-Z, 0-9, _ . -)",
      "swarmlab:stackExternals: nodeLabels.manager-0.zone: a label's value is letters, digits and _ . : / @ + - (no spaces or quotes)",
    ]);
    expect(problems.join("\n")).not.toContain("hunter2");
  });

  it("declares mediawiki's database password by default (Pulumi.yaml), so mediawiki needs nothing set", () => {
    expect(problemsOf({ allowedCidrs: ALLOWED, stacks: '["mediawiki"]' })).toEqual([]);
    // Replacing the default without it: refused, naming what to add.
    const [problem] = problemsOf({
      allowedCidrs: ALLOWED,
      stacks: '["mediawiki"]',
      stackExternals: JSON.stringify({ networks: { x: {} } }),
    });
    expect(problem).toContain(
      'needs the external secret "mediawiki_db_password", which swarmlab:stackExternals does not declare; add {"secrets": {"mediawiki_db_password": {"generate": true}}}',
    );
  });
});

describe("the offline commands run the same stack checks as preview", () => {
  const preview = () => problemsOf({ allowedCidrs: ALLOWED, stacks: '["countr"]' });
  const expected =
    'swarmlab:stacks: names "countr", which is not a stack of stacks/: choose from counter, hostname, mediawiki, monitoring, proxy, visualizer';

  it("preview refuses stacks: [countr]", () => {
    expect(preview()).toEqual([expected]);
  });

  it("class init and the quota pre-flight (checkStackFile) refuse it with the same message", () => {
    const checked = checkStackFile(
      "config:\n  swarmlab:allowedCidrs: [203.0.113.0/24]\n  swarmlab:stacks: [countr]\n",
      "Pulumi.alice.yaml",
      "alice",
    );
    expect(checked).toEqual({ ok: false, problems: preview() });
  });

  it("the roster check refuses it with the same message", () => {
    const result = parseRoster(
      [
        "class:",
        "  swarmlab:",
        "    allowedCidrs: [203.0.113.0/24]",
        "    stacks: [countr]",
        "students:",
        "  - alice",
      ].join("\n"),
    );
    // The class section's value: said once, where class.yaml holds it (issue 26, item 11).
    expect(result).toEqual({
      ok: false,
      problems: [expected.replace(/^swarmlab:stacks: /, "class.swarmlab.stacks: ")],
    });
  });

  it("npm run render refuses it with the same message and exit 1", () => {
    const dir = tmpDir();
    fs.writeFileSync(
      path.join(dir, "Pulumi.alice.yaml"),
      "config:\n  swarmlab:allowedCidrs: [203.0.113.0/24]\n  swarmlab:stacks: [countr]\n",
    );
    const run = spawnSync(
      path.join(ROOT, "node_modules", ".bin", "ts-node"),
      ["--transpile-only", path.join(ROOT, "scripts", "render.ts"), "--stack", "alice"],
      { cwd: dir, encoding: "utf8", timeout: 120_000 },
    );
    expect(run.stderr).toContain(`  - ${expected}\n`);
    expect(run.status).toBe(1);
  }, 150_000);
});

describe("UDP ports", () => {
  it("open a UDP rule beside the TCP one; TCP rules keep their names", () => {
    const ports = chosenStackPorts([{ name: "port-shapes", services: {} }], stackFolders([CORPUS]));
    expect(ports).toContainEqual({ port: 53, protocol: "udp" });
    expect(ports).toContainEqual({ port: 53, protocol: "tcp" });
    const rules = publishedPortRules(ports).filter((r) => r.ports?.min === 53);
    expect(rules.map((r) => [r.name, r.protocol])).toEqual([
      ["published-53", "tcp"],
      ["published-53-udp", "udp"],
    ]);
  });
});

describe("CI's affected-stacks follows swarmlab:stacksDir", () => {
  const repo = ["Pulumi.yaml", "Pulumi.alice.yaml", "Pulumi.bob.yaml", "Pulumi.carol.yaml"];
  const uses = {
    alice: stackUse(
      "config:\n  swarmlab:stacks: [hostname, quiz]\n  swarmlab:stacksDir: course/stacks\n",
    ),
    bob: stackUse("config:\n  swarmlab:stacks: [counter]\n"),
    // Unset: Pulumi.yaml's default [hostname], stacks/ alone.
    carol: stackUse("config:\n  swarmlab:workers: 3\n"),
  } as Record<string, StackUse>;

  it("reads what each stack file deploys, as the program does", () => {
    expect(uses.alice).toEqual({
      stacks: ["hostname", "quiz"],
      folders: ["stacks", "course/stacks"],
    });
    expect(uses.carol).toEqual({ stacks: ["hostname"], folders: ["stacks"] });
    expect(stackUse("config: [")).toBeUndefined();
  });

  it("a change in a course's stack previews only the stacks that choose it", () => {
    expect(affectedStacks(["course/stacks/quiz/compose.yaml"], repo, uses)).toEqual(["alice"]);
    // Any file of the stack's folder: a README in a build context changes the image too.
    expect(affectedStacks(["course/stacks/quiz/web/README.md"], repo, uses)).toEqual(["alice"]);
    expect(affectedStacks(["stacks/hostname/compose.yaml"], repo, uses)).toEqual([
      "alice",
      "carol",
    ]);
    expect(affectedStacks(["stacks/counter/web/app.py"], repo, uses)).toEqual(["bob"]);
    expect(affectedStacks(["course/stacks/other/compose.yaml"], repo, uses)).toEqual([]);
    // Program code still previews every stack.
    expect(affectedStacks(["infra/index.ts", "stacks/counter/compose.yaml"], repo, uses)).toEqual([
      "alice",
      "bob",
      "carol",
    ]);
  });

  it("follows a symlinked folder to where git sees its files", () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, "vendor", "course", "quiz"), { recursive: true });
    fs.symlinkSync(path.join(dir, "vendor", "course"), path.join(dir, "linked"));
    const use = stackUse(
      "config:\n  swarmlab:stacks: [quiz]\n  swarmlab:stacksDir: [linked]\n",
      dir,
    );
    expect(use?.folders).toEqual(["stacks", "vendor/course"]);
    expect(
      affectedStacks(["vendor/course/quiz/compose.yaml"], ["Pulumi.alice.yaml"], {
        alice: use as StackUse,
      }),
    ).toEqual(["alice"]);
  });
});
