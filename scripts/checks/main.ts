/**
 * `npm run check -- <lab> [--bundle DIR]`: a student runs their lab's checks on their own
 * cluster, over SSH with their bundle's key, the manager's host key checked against the
 * bundle's known_hosts. It needs no Pulumi, backend or passphrase, and sees no one else's
 * cluster or results: the result is the same as the teacher's `class check` for this cluster.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { BUNDLE_FILE, parseBundle } from "../bundle/contents";
import { accessFromBundle } from "./access";
import { parseCheckArgs, STUDENT_CHECK_USAGE } from "./check-args";
import { checkCluster } from "./cluster-checks";
import { readChecks } from "./lab-checks";
import { CheckRun, checkRunExitCode, renderCheckRun } from "./report";
import type { ScriptRunner } from "./run-checks";

export async function studentCheckMain(
  argv: readonly string[],
  dir = process.cwd(),
  deps: { runner?: ScriptRunner; now?: () => Date } = {},
): Promise<number> {
  const args = parseCheckArgs(argv, true);
  if ("error" in args) {
    console.error(`${args.error}\n\n${STUDENT_CHECK_USAGE}`);
    return 2;
  }
  const lab = readChecks(args.lab);
  if (lab.checks.length === 0) {
    console.error(`the lab ${args.lab} has no checks: stacks/${args.lab}/checks/*.sh`);
    return 2;
  }
  const bundleDir = path.resolve(dir, args.bundle);
  let access;
  let outputs: Record<string, unknown>;
  try {
    access = accessFromBundle(bundleDir);
    if ("error" in access) {
      console.error(access.error);
      return 2;
    }
    // The bundle's fields are the outputs the checks' variables come from (registryInternal...).
    outputs = {
      ...parseBundle(fs.readFileSync(path.join(bundleDir, BUNDLE_FILE), "utf8"), BUNDLE_FILE),
    };
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const at = (deps.now ?? (() => new Date()))().toISOString();
  const result = await checkCluster(access.stack, lab, access, outputs, {
    ...(args.checks ? { only: args.checks } : {}),
    overrides: args.overrides,
    ...(deps.runner ? { runner: deps.runner } : {}),
    onCheck: (name) => {
      if (args.format === "md") console.error(`checking ${name}…`);
    },
  });
  const checks = lab.checks
    .map((c) => c.name)
    .filter((n) => !args.checks || args.checks.includes(n));
  const run: CheckRun = { format: 1, lab: args.lab, at, checks, students: [result] };
  process.stdout.write(renderCheckRun(run, args.format));
  return checkRunExitCode(run);
}

if (require.main === module) {
  studentCheckMain(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
