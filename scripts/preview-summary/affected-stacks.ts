/**
 * git diff --name-only BASE HEAD | npm run --silent affected-stacks -- [--batches N | --flat]
 * npm run --silent affected-stacks -- --requested "alice bob" [--flat | --plain]
 *
 * Which student stacks a change can touch (or which a person asked for), for CI's matrices: prints
 * a JSON list of batches, each a space-separated list of stack names, at most N batches (default
 * 8); with --flat a JSON list of stack names; with --plain one name per line. Batches, not one job per stack, keep the preview
 * matrix bounded for a class of any size (GitHub allows 256 jobs per matrix).
 *
 * The stacks are the `Pulumi.<stack>.yaml` files of the repository (Pulumi.example.yaml is a
 * template to copy, not a stack). A change to stack files only previews those stacks; a change
 * inside an application stack's folder (stacks/<name>/, or <folder>/<name>/ of a folder the
 * stack file names in swarmlab:stacksDir, a symlinked one followed to where git sees its files)
 * previews the stacks that choose that application stack (swarmlab:stacks); a change to anything
 * else that the program reads previews every stack; documentation and tests none.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parse } from "yaml";

/**
 * A stack file. The name is limited to the characters Pulumi allows in a stack name, which also
 * keeps a file name from smuggling shell syntax into CI's command lines.
 */
const STACK_FILE = /^Pulumi\.([A-Za-z0-9_.-]+)\.ya?ml$/;
/** Stack files that are not stacks. */
const NOT_STACKS = new Set(["example"]);
/** Paths no deployment reads: changing only these previews nothing. */
const NO_EFFECT = [/\.md$/, /^test\//, /^\.gitignore$/, /^\.prettierignore$/];

export function stackOf(file: string): string | undefined {
  const name = STACK_FILE.exec(file)?.[1];
  return name !== undefined && !NOT_STACKS.has(name) ? name : undefined;
}

/** What a student stack deploys: its application stacks, and the folders they are looked up in. */
export interface StackUse {
  /** swarmlab:stacks (Pulumi.yaml's default [hostname] when unset). */
  stacks: readonly string[];
  /** stacks/ and swarmlab:stacksDir, repository-relative, "/"-separated, no trailing "/". */
  folders: readonly string[];
}

/** The application stack `file` belongs to in `folder` ("stacks/counter/web/app.py" -> counter). */
function appStackOf(file: string, folder: string): string | undefined {
  if (!file.startsWith(`${folder}/`)) return undefined;
  const rest = file.slice(folder.length + 1).split("/");
  return rest.length > 1 ? rest[0] : undefined;
}

/**
 * The student stacks a change can touch. `uses` says what each stack file deploys; without it
 * every change outside stack files and documentation previews every stack.
 */
export function affectedStacks(
  changed: readonly string[],
  repoFiles: readonly string[],
  uses: Readonly<Record<string, StackUse>> = {},
): string[] {
  const stacks = repoFiles.map(stackOf).filter((s): s is string => s !== undefined);
  const allFolders = [...new Set(["stacks", ...Object.values(uses).flatMap((u) => u.folders)])];
  const inStackFolder = (f: string) => allFolders.some((folder) => appStackOf(f, folder));
  const relevant = changed.filter((f) => inStackFolder(f) || !NO_EFFECT.some((re) => re.test(f)));
  const picked = new Set<string>();
  for (const file of relevant) {
    if (STACK_FILE.test(file)) {
      // A deleted stack file is not a stack to preview any more (`pulumi stack rm` is the teacher's).
      const stack = stackOf(file);
      if (stack !== undefined && stacks.includes(stack)) picked.add(stack);
    } else if (inStackFolder(file)) {
      for (const stack of stacks) {
        // A stack file swarmlab could not read: previewed on every change, to be safe.
        const use = uses[stack] ?? { stacks: [], folders: allFolders };
        const uses_ = use.folders.some((folder) => {
          const app = appStackOf(file, folder);
          return app !== undefined && (uses[stack] === undefined || use.stacks.includes(app));
        });
        if (uses_) picked.add(stack);
      }
    } else {
      stacks.forEach((stack) => picked.add(stack));
    }
  }
  return [...picked].sort();
}

/** A folder as git names its files: repository-relative, symlinks resolved, "/"-separated. */
function gitFolder(folder: string, root: string): string {
  const absolute = path.resolve(root, folder);
  const real = fs.existsSync(absolute) ? fs.realpathSync(absolute) : absolute;
  return path.relative(fs.realpathSync(root), real).split(path.sep).join("/");
}

/**
 * What `Pulumi.<stack>.yaml` deploys, read as the program reads it (swarmlab:stacks and
 * swarmlab:stacksDir, a folder or a list); undefined when the file cannot be read as such.
 */
export function stackUse(text: string, root = "."): StackUse | undefined {
  let config: unknown;
  try {
    config = (parse(text) as { config?: unknown } | null)?.config ?? {};
  } catch {
    return undefined;
  }
  if (typeof config !== "object" || config === null) return undefined;
  const values = config as Record<string, unknown>;
  const chosen = values["swarmlab:stacks"] ?? ["hostname"];
  const dirs = values["swarmlab:stacksDir"] ?? [];
  const folders = typeof dirs === "string" ? (dirs === "" ? [] : [dirs]) : dirs;
  const isList = (v: unknown): v is string[] =>
    Array.isArray(v) && v.every((item) => typeof item === "string");
  if (!isList(chosen) || !isList(folders)) return undefined;
  return {
    stacks: chosen,
    folders: ["stacks", ...folders].map((folder) => gitFolder(folder, root)),
  };
}

/** Splits stacks into at most `max` batches of near-equal size, keeping their order. */
export function batches(stacks: readonly string[], max: number): string[][] {
  const count = Math.min(Math.max(1, Math.floor(max)), stacks.length);
  const size = Math.ceil(stacks.length / Math.max(count, 1));
  const result: string[][] = [];
  for (let i = 0; i < stacks.length; i += size) result.push(stacks.slice(i, i + size));
  return result;
}

/**
 * The stacks a person asked for by name ("all" for every stack): each must have its stack file,
 * so a typo fails before anything runs.
 */
export function requestedStacks(
  requested: string,
  repoFiles: readonly string[],
): { ok: true; stacks: string[] } | { ok: false; unknown: string[] } {
  const known = repoFiles
    .map(stackOf)
    .filter((s): s is string => s !== undefined)
    .sort();
  const names = requested.split(/[\s,]+/).filter(Boolean);
  if (names.length === 1 && names[0] === "all") return { ok: true, stacks: known };
  const unknown = names.filter((n) => !known.includes(n));
  return unknown.length ? { ok: false, unknown } : { ok: true, stacks: [...new Set(names)] };
}

const USAGE = `usage: git diff --name-only A B | npm run --silent affected-stacks -- [--batches N | --flat | --plain]
       npm run --silent affected-stacks -- --requested "alice bob" (or "all") [--flat | --plain]`;

function main(): number {
  const { values } = parseArgs({
    options: {
      batches: { type: "string", default: "8" },
      flat: { type: "boolean", default: false },
      plain: { type: "boolean", default: false },
      requested: { type: "string" },
    },
  });
  const max = Number(values.batches);
  if (!(max >= 1)) {
    console.error(USAGE);
    return 2;
  }
  const files = fs.readdirSync(".");
  let stacks: string[];
  if (values.requested !== undefined) {
    const result = requestedStacks(values.requested, files);
    if (!result.ok) {
      console.error(`no stack file Pulumi.<stack>.yaml for: ${result.unknown.join(", ")}`);
      return 1;
    }
    stacks = result.stacks;
  } else {
    const changed = fs.readFileSync(0, "utf8").split("\n").filter(Boolean);
    const uses: Record<string, StackUse> = {};
    for (const file of files) {
      const stack = stackOf(file);
      const use = stack === undefined ? undefined : stackUse(fs.readFileSync(file, "utf8"));
      if (stack !== undefined && use !== undefined) uses[stack] = use;
    }
    stacks = affectedStacks(changed, files, uses);
  }
  // --plain: names one per line for a shell loop (GitLab); --flat: one matrix job per stack (up);
  // batches: a bounded matrix of previews.
  if (values.plain) {
    if (stacks.length) console.log(stacks.join("\n"));
    return 0;
  }
  const output = values.flat ? stacks : batches(stacks, max).map((b) => b.join(" "));
  console.log(JSON.stringify(output));
  return 0;
}

if (require.main === module) process.exitCode = main();
