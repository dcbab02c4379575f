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
 * template to copy, not a stack). A change to stack files only previews those stacks; a change to
 * anything else that the program reads previews every stack; documentation and tests none.
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";

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

export function affectedStacks(changed: readonly string[], repoFiles: readonly string[]): string[] {
  const stacks = repoFiles.map(stackOf).filter((s): s is string => s !== undefined);
  const relevant = changed.filter((f) => !NO_EFFECT.some((re) => re.test(f)));
  if (relevant.length === 0) return [];
  const onlyStackFiles = relevant.every((f) => STACK_FILE.test(f));
  // A deleted stack file is not a stack to preview any more (`pulumi stack rm` is the teacher's).
  const picked = onlyStackFiles
    ? stacks.filter((s) => relevant.some((f) => stackOf(f) === s))
    : stacks;
  return [...new Set(picked)].sort();
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
    stacks = affectedStacks(changed, files);
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
