/**
 * npm run class -- <verb> [options]: the class-wide verbs over the roster (see args.ts USAGE and
 * docs/teacher.md, "A class at once"). This file only wires roster, workspace, runner and display.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import pLimit from "p-limit";
import { pulumiCliProblem, runPulumiVersion, VersionCommand } from "./cli-check";
import { ClassArgs, isOperation, parseClassArgs, selectStudents, USAGE } from "./args";
import { writeBundles } from "./bundles";
import { classCheckMain, CLASS_CHECK_VERBS } from "../checks/class-check";
import { localDay } from "./expiry";
import { ClassInitRefused, initClass, stackFilePath } from "./init";
import { LiveDisplay } from "./live-display";
import { PulumiClassWorkspace } from "./pulumi-workspace";
import { quotaPreflight } from "./quota-preflight";
import { renderOutputs, renderStatus, StudentReport } from "./reports";
import type { Student } from "./roster";
import { readRosterFile } from "./roster-file";
import { ClassRun, exitCode } from "./runner";
import { renderErrors, renderSummary } from "./summary";
import { markdownTable } from "./table";
import type { ClassWorkspace, Operation } from "./workspace";

function runInit(students: readonly Student[], dir: string): number {
  let results;
  try {
    results = initClass(students, dir);
  } catch (error) {
    if (!(error instanceof ClassInitRefused)) throw error;
    console.error(error.message);
    return 1;
  }
  const rows = results.map((r) => [
    r.id,
    path.relative(dir, r.file),
    r.action,
    r.kept.length > 0 ? `kept by hand: ${r.kept.join(", ")}` : "",
    r.problems.join("; "),
  ]);
  console.log(markdownTable(["student", "file", "action", "note", "problems"], rows));
  return results.some((r) => r.problems.length > 0) ? 1 : 0;
}

async function reports(
  workspace: ClassWorkspace,
  students: readonly Student[],
  parallel: number,
  withOutputs: boolean,
): Promise<StudentReport[]> {
  const limit = pLimit(parallel);
  return Promise.all(
    students.map((s) =>
      limit(async () => {
        const status = await workspace.status(s.id);
        const outputs = withOutputs && status.exists ? await workspace.outputs(s.id) : {};
        return { id: s.id, status, outputs, ...(s.expires ? { expires: s.expires } : {}) };
      }),
    ),
  );
}

async function runBundles(
  workspace: ClassWorkspace,
  students: readonly Student[],
  outDir: string,
  parallel: number,
): Promise<number> {
  const results = await writeBundles(
    workspace,
    students.map((s) => s.id),
    outDir,
    parallel,
  );
  const rows = results.map((r) => [r.id, r.dir ?? "", r.problem ?? ""]);
  console.log(markdownTable(["student", "bundle", "problem"], rows));
  console.log(
    `\nHand each student their own folder only (docs/teacher.md, "Bundles"); ${outDir} holds every key.`,
  );
  return results.some((r) => r.problem !== undefined) ? 1 : 0;
}

async function runOperation(
  workspace: ClassWorkspace,
  operation: Operation,
  ids: readonly string[],
  options: { parallel: number; refresh: boolean },
  onInterrupt: (handler: () => void) => void,
): Promise<number> {
  const display = new LiveDisplay(ids);
  const run = new ClassRun(workspace, operation, ids, { ...options, reporter: display });
  onInterrupt(() => run.interrupt());
  const results = await run.run();
  await display.close();
  const errors = renderErrors(results);
  console.log(`\n${renderSummary(operation, results)}${errors ? `\n${errors}` : ""}`);
  return exitCode(results);
}

export async function main(
  argv: readonly string[],
  dir = process.cwd(),
  /** `pulumi version`, run before anything that drives Pulumi; injectable for tests. */
  pulumiVersion: VersionCommand = runPulumiVersion,
  /** The class's stacks; tests give the in-memory fake (the Pulumi CLI cannot run here). */
  makeWorkspace: WorkspaceFactory = pulumiWorkspace,
): Promise<number> {
  if (CLASS_CHECK_VERBS.includes(argv[0]))
    return classCheckMain(argv, dir, { pulumiVersion, makeWorkspace });
  const args = parseClassArgs(argv);
  if ("error" in args) {
    console.error(`${args.error}\n\n${USAGE}`);
    return 2;
  }
  const today = localDay(new Date());
  const parsed = readRosterFile(dir, args.roster, today);
  if ("exitCode" in parsed) return parsed.exitCode;
  for (const warning of parsed.warnings) console.warn(`warning: ${warning}`);
  const selected = selectStudents(parsed.roster.students, args, today);
  if ("error" in selected) {
    console.error(selected.error);
    return 2;
  }
  if (args.verb === "init") return runInit(selected, dir);
  if (selected.length === 0) {
    console.log(args.expired ? "No cluster is past its last day." : "No students selected.");
    return 0;
  }
  return runWithPulumi(args, selected, dir, pulumiVersion, makeWorkspace);
}

export type WorkspaceFactory = (dir: string, terminalInterrupted: () => boolean) => ClassWorkspace;

const pulumiWorkspace: WorkspaceFactory = (dir, terminalInterrupted) =>
  new PulumiClassWorkspace(dir, terminalInterrupted);

async function runWithPulumi(
  args: ClassArgs,
  students: Student[],
  dir: string,
  pulumiVersion: VersionCommand,
  makeWorkspace: WorkspaceFactory,
): Promise<number> {
  const cliProblem = await pulumiCliProblem(pulumiVersion);
  if (cliProblem !== undefined) {
    console.error(cliProblem);
    return 2;
  }
  const missing = students.filter((s) => !fs.existsSync(stackFilePath(dir, s.id)));
  if (missing.length > 0) {
    console.error(
      `No stack file for ${missing.map((s) => s.id).join(", ")}: run \`npm run class -- init\` first.`,
    );
    return 2;
  }
  // Ctrl-C on a terminal reaches the pulumi processes too (one process group): they cancel
  // gracefully themselves, and a second SIGINT from us would make them terminate at once.
  let terminalInterrupt = false;
  const workspace = makeWorkspace(dir, () => terminalInterrupt);
  if (args.verb === "bundles") {
    return runBundles(workspace, students, path.resolve(dir, args.out), args.parallel);
  }
  if (args.verb === "outputs" || args.verb === "status") {
    const list = await reports(workspace, students, args.parallel, args.verb === "outputs");
    const today = localDay(new Date());
    process.stdout.write(
      args.verb === "outputs" ? renderOutputs(list, args.format) : renderStatus(list, today),
    );
    return 0;
  }
  if (!isOperation(args.verb)) return 2;
  if (args.verb === "up" && !args.skipQuota) {
    const refusal = await quotaPreflight(students, workspace, dir);
    if (refusal !== undefined) {
      console.error(refusal);
      return 1;
    }
  }
  return runOperation(
    workspace,
    args.verb,
    students.map((s) => s.id),
    { parallel: args.parallel, refresh: args.refresh },
    (stop) => {
      const onSignal = (signal: NodeJS.Signals) => {
        terminalInterrupt = signal === "SIGINT" && Boolean(process.stdin.isTTY);
        console.error(
          `\n${signal}: cancelling running stacks (Pulumi finishes what is in flight)…`,
        );
        stop();
      };
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
    },
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
