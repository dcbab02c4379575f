/**
 * The commands the docs tell a newcomer to run that need no cloud and no Pulumi CLI, run as the
 * docs write them. A fenced `bash` block right after the marker `<!-- offline-example -->` holds
 * them; the `text` block after it, if any, is output the docs show, and every one of its lines
 * must be a line of what the commands print (`…` stands for anything, runs of spaces count as
 * one). They run in a temporary copy of the project, with the docs' `class.yaml` in it, through
 * the script package.json names for the `npm run` verb (`ts-node --transpile-only FILE`), as npm
 * would run it from the project folder.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

const ROOT = path.join(__dirname, "..", "..");
const PAGES = [
  "README.md",
  "docs/teacher.md",
  "docs/operations.md",
  "docs/student.md",
  "docs/ci.md",
  "docs/configuration.md",
  "docs/stacks.md",
];
/** What a command needs of the project: the program, its scripts and its stacks. */
const PROJECT_FILES = [
  "Pulumi.yaml",
  "Pulumi.example.yaml",
  "package.json",
  "tsconfig.json",
  "infra",
  "scripts",
  "stacks",
  "templates",
];
const MARKER = "<!-- offline-example -->";

interface Example {
  page: string;
  commands: string[];
  shown: string[];
}

export function offlineExamples(page: string, markdown: string): Example[] {
  const examples: Example[] = [];
  const pattern = new RegExp(
    `${MARKER}\\s*\`\`\`bash\\n([\\s\\S]*?)\`\`\`(?:\\s*\`\`\`text\\n([\\s\\S]*?)\`\`\`)?`,
    "g",
  );
  for (const match of markdown.matchAll(pattern)) {
    const commands = (match[1] ?? "")
      .split("\n")
      .map((line) => line.replace(/\s+#.*$/, "").trim())
      .filter((line) => line !== "" && !line.startsWith("#"));
    const shown = (match[2] ?? "").split("\n").filter((line) => line.trim() !== "");
    examples.push({ page, commands, shown });
  }
  return examples;
}

/** `npm run [--silent] NAME [-- ARGS]` as npm runs it: the package.json script, then ARGS. */
export function scriptOf(command: string, scripts: Record<string, string>): string[] {
  const words = command.split(/\s+/);
  if (words[0] !== "npm" || words[1] !== "run") {
    throw new Error(`${command}: not an \`npm run\` command, which is all this test runs`);
  }
  const rest = words.slice(2).filter((w) => w !== "--silent");
  const name = rest[0] ?? "";
  const script = scripts[name];
  if (script === undefined) throw new Error(`${command}: package.json has no script "${name}"`);
  const args = rest[1] === "--" ? rest.slice(2) : rest.slice(1);
  if (args.some((a) => /^[<>|;&]/.test(a)))
    throw new Error(`${command}: redirections are not run here`);
  return [...script.split(/\s+/), ...args];
}

function lineMatches(shown: string, printed: readonly string[]): boolean {
  const squash = (text: string) => text.trim().replace(/\s+/g, " ");
  const pattern = new RegExp(
    `^${squash(shown)
      .split("…")
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return printed.some((line) => pattern.test(squash(line)));
}

function projectCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-docs-"));
  for (const file of PROJECT_FILES) {
    fs.cpSync(path.join(ROOT, file), path.join(dir, file), { recursive: true });
  }
  fs.symlinkSync(fs.realpathSync(path.join(ROOT, "node_modules")), path.join(dir, "node_modules"));
  const teacher = fs.readFileSync(path.join(ROOT, "docs/teacher.md"), "utf8");
  const roster = /```yaml\n(# class\.yaml\n[\s\S]*?)```/.exec(teacher)?.[1];
  if (roster === undefined) throw new Error("docs/teacher.md has no `# class.yaml` example");
  fs.writeFileSync(path.join(dir, "class.yaml"), roster);
  return dir;
}

const run = promisify(execFile);

async function runExample(example: Example, scripts: Record<string, string>) {
  const dir = projectCopy();
  try {
    let printed = "";
    for (const command of example.commands) {
      const [program = "", ...args] = scriptOf(command, scripts);
      const { stdout, stderr } = await run(path.join(dir, "node_modules", ".bin", program), args, {
        cwd: dir,
        env: { ...process.env, FORCE_COLOR: "0" },
      });
      printed += stdout + stderr;
    }
    const lines = printed.split("\n");
    return { missing: example.shown.filter((line) => !lineMatches(line, lines)), printed };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("the docs' offline examples", () => {
  const scripts = (
    JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  const examples = PAGES.flatMap((page) =>
    offlineExamples(page, fs.readFileSync(path.join(ROOT, page), "utf8")),
  );

  it("are marked where a newcomer meets them: render, class init, class:bench", () => {
    expect(examples.map((e) => [e.page, ...e.commands])).toEqual([
      ["README.md", "npm run render -- --stack example"],
      ["docs/teacher.md", "npm run class -- init"],
      ["docs/teacher.md", "npm run class:bench -- --students 30 --parallel 4 --delay 200"],
    ]);
    for (const example of examples) expect(example.shown.length).toBeGreaterThan(0);
  });

  it("run as written, exit 0 and print what the docs show", async () => {
    // Concurrently: each is a ts-node start (a few seconds of CPU); together they stay short.
    const results = await Promise.all(examples.map((e) => runExample(e, scripts)));
    expect(results.map((r, i) => ({ page: examples[i]?.page, missing: r.missing }))).toEqual(
      examples.map((e) => ({ page: e.page, missing: [] })),
    );
  }, 120_000);

  it("(the check itself: a line the output lacks is reported, … matches anything)", () => {
    expect(
      lineMatches("wrote rendered/x/a.yaml (… bytes)", ["wrote rendered/x/a.yaml (12 bytes)"]),
    ).toBe(true);
    expect(lineMatches("| alice | created |", ["|  alice  |  created  |"])).toBe(true);
    expect(lineMatches("exit code 0", ["exit code 1"])).toBe(false);
    expect(() => scriptOf("pulumi up", scripts)).toThrow("not an `npm run` command");
    expect(scriptOf("npm run --silent class -- init", scripts)).toEqual([
      "ts-node",
      "--transpile-only",
      "scripts/class/main.ts",
      "init",
    ]);
  });
});
