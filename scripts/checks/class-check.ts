/**
 * `npm run class -- check <lab>` and `-- dashboard`: the class tool's check verbs. Reads the
 * roster, then for each chosen student (at most --parallel at once, with the class tool's live
 * display) their stack's outputs, and runs the lab's checks on their cluster; prints student x
 * check and saves the run as JSON for the dashboard. main.ts hands these verbs over here.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import pLimit from "p-limit";
import { selectStudents } from "../class/args";
import { pulumiCliProblem, runPulumiVersion, VersionCommand } from "../class/cli-check";
import { localDay } from "../class/expiry";
import { LiveDisplay } from "../class/live-display";
import type { WorkspaceFactory } from "../class/main";
import { PulumiClassWorkspace } from "../class/pulumi-workspace";
import type { Student } from "../class/roster";
import { readRosterFile } from "../class/roster-file";
import type { Reporter } from "../class/runner";
import type { ClassWorkspace } from "../class/workspace";
import { accessFromOutputs } from "./access";
import { CheckArgs, CLASS_CHECK_USAGE, parseCheckArgs } from "./check-args";
import { checkCluster } from "./cluster-checks";
import { readChecks } from "./lab-checks";
import { CheckRun, checkRunExitCode, renderCheckRun, StudentChecks } from "./report";
import type { ScriptRunner } from "./run-checks";
import { writeDashboard } from "./write-dashboard";

export const CLASS_CHECK_VERBS = ["check", "dashboard"];

/** Test seams: the Pulumi CLI check, the workspace, the SSH runner, the clock and display. */
export interface ClassCheckDeps {
  pulumiVersion?: VersionCommand;
  makeWorkspace?: WorkspaceFactory;
  runner?: ScriptRunner;
  now?: () => Date;
  reporter?: (ids: readonly string[]) => Reporter & { close(): Promise<void> };
}

/** The file a lab's last class run is saved to. */
export function runFile(resultsDir: string, lab: string): string {
  return path.join(resultsDir, `${lab}.json`);
}

async function checkStudent(
  workspace: ClassWorkspace,
  id: string,
  args: CheckArgs,
  runner: ScriptRunner | undefined,
  reporter: Reporter,
): Promise<StudentChecks> {
  reporter.update(id, "running", "reading outputs", Date.now());
  const started = Date.now();
  let outputs: Record<string, unknown>;
  try {
    outputs = await workspace.secretOutputs(id);
  } catch (error) {
    reporter.update(id, "failed", undefined, started);
    return {
      id,
      results: [],
      problem: `cannot read the stack's outputs: ${(error as Error).message}`,
    };
  }
  const access = accessFromOutputs(id, outputs);
  const result = await checkCluster(
    id,
    readChecks(args.lab),
    "missing" in access
      ? {
          problem: `no output ${access.missing.join(", ")}: run \`npm run class -- up --only ${id}\` first`,
        }
      : access,
    outputs,
    {
      ...(args.checks ? { only: args.checks } : {}),
      overrides: args.overrides,
      ...(runner ? { runner } : {}),
      onCheck: (name) => reporter.update(id, "running", name, started),
    },
  );
  const ok = result.problem === undefined && result.results.every((r) => r.status === "pass");
  reporter.update(id, ok ? "ok" : "failed", undefined, started);
  return result;
}

async function runClassCheck(
  args: CheckArgs,
  students: readonly Student[],
  workspace: ClassWorkspace,
  dir: string,
  deps: ClassCheckDeps,
): Promise<number> {
  const lab = readChecks(args.lab);
  if (lab.checks.length === 0) {
    console.error(`the lab ${args.lab} has no checks: stacks/${args.lab}/checks/*.sh`);
    return 2;
  }
  const names = lab.checks
    .map((c) => c.name)
    .filter((n) => !args.checks || args.checks.includes(n));
  const unknown = (args.checks ?? []).filter((n) => !lab.checks.some((c) => c.name === n));
  if (unknown.length > 0) {
    console.error(
      `--check names checks ${args.lab} has not: ${unknown.join(", ")} (it has ${lab.checks.map((c) => c.name).join(", ")})`,
    );
    return 2;
  }
  const at = (deps.now ?? (() => new Date()))().toISOString();
  const ids = students.map((s) => s.id);
  const display = deps.reporter ? deps.reporter(ids) : new LiveDisplay(ids);
  for (const id of ids) display.update(id, "queued");
  const limit = pLimit(args.parallel);
  const results = await Promise.all(
    ids.map((id) => limit(() => checkStudent(workspace, id, args, deps.runner, display))),
  );
  await display.close();
  const run: CheckRun = { format: 1, lab: args.lab, at, checks: names, students: results };
  const resultsDir = path.resolve(dir, args.results);
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(runFile(resultsDir, args.lab), renderCheckRun(run, "json"));
  process.stdout.write(`${args.format === "md" ? "\n" : ""}${renderCheckRun(run, args.format)}`);
  return checkRunExitCode(run);
}

/** The check verbs' entry: `argv` starts with the verb, as main.ts received it. */
export async function classCheckMain(
  argv: readonly string[],
  dir: string,
  deps: ClassCheckDeps = {},
): Promise<number> {
  const args = parseCheckArgs(argv);
  if ("error" in args) {
    console.error(`${args.error}\n\n${CLASS_CHECK_USAGE}`);
    return 2;
  }
  const today = localDay(new Date());
  const parsed = readRosterFile(dir, args.roster, today);
  if ("exitCode" in parsed) return parsed.exitCode;
  const students = selectStudents(
    parsed.roster.students,
    { expired: false, ...(args.only ? { only: args.only } : {}) },
    today,
  );
  if ("error" in students) {
    console.error(students.error);
    return 2;
  }
  const cliProblem = await pulumiCliProblem(deps.pulumiVersion ?? runPulumiVersion);
  if (cliProblem !== undefined) {
    console.error(cliProblem);
    return 2;
  }
  const workspace = (deps.makeWorkspace ?? ((d, t) => new PulumiClassWorkspace(d, t)))(
    dir,
    () => false,
  );
  if (args.verb === "dashboard") {
    return writeDashboard(
      workspace,
      students,
      path.resolve(dir, args.results),
      path.resolve(dir, args.out),
      {
        parallel: args.parallel,
        today,
        now: (deps.now ?? (() => new Date()))(),
      },
    );
  }
  return runClassCheck(args, students, workspace, dir, deps);
}
