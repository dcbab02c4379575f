/**
 * The command lines of the checks: `npm run class -- check <lab>` and `-- dashboard` (the class
 * tool's own options: --roster, --only students, --parallel), and `npm run check -- <lab>` (a
 * student's run, from their bundle). --check names checks; --set NAME=VALUE gives a variable.
 */
import { parseArgs } from "node:util";
import { DEFAULT_PARALLEL, wholeNumber } from "../class/args";
import type { CheckFormat } from "./report";

export const CLASS_CHECK_USAGE = `usage: npm run class -- check <lab> [options]
       npm run class -- dashboard [options]

  check       runs the lab's checks (stacks/<lab>/checks/*.sh) on every student's cluster over
              SSH and prints student x check; saves the run to --results DIR/<lab>.json
  dashboard   writes --out DIR/index.html (one self-contained page) and DIR/class.json: every
              student's nodes, stacks, expiry and last check results

options:
  --roster FILE        the roster (default class.yaml)
  --only a,b           just these students
  --parallel N         at most N clusters at once (default ${DEFAULT_PARALLEL})
  --check a,b          with check: just these checks of the lab
  --set NAME=VALUE     with check: a check variable (repeatable), over the lab's params.yaml
  --format md|csv|json with check (default md)
  --results DIR        where check runs are saved and the dashboard reads them (default class-checks)
  --out DIR            with dashboard: where the page goes (default dashboard)`;

export const STUDENT_CHECK_USAGE = `usage: npm run check -- <lab> [--bundle DIR] [--check a,b] [--set NAME=VALUE] [--format md|csv|json]

Runs the lab's checks (stacks/<lab>/checks/*.sh) on YOUR cluster, over SSH with your bundle's
key (no Pulumi, no passphrase). --bundle is the folder your teacher handed you (default .).`;

export interface CheckArgs {
  verb: "check" | "dashboard";
  lab: string;
  roster: string;
  only?: string[];
  parallel: number;
  checks?: string[];
  overrides: Record<string, string>;
  format: CheckFormat;
  results: string;
  out: string;
  bundle: string;
}

const list = (value: string | undefined) =>
  value === undefined
    ? undefined
    : value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);

function overridesOf(
  values: readonly string[],
): { set: Record<string, string> } | { problem: string } {
  const set: Record<string, string> = {};
  for (const item of values) {
    const at = item.indexOf("=");
    if (at <= 0) return { problem: `--set takes NAME=VALUE, not ${JSON.stringify(item)}` };
    set[item.slice(0, at)] = item.slice(at + 1);
  }
  return { set };
}

/** `student`: the `npm run check` line (no roster, a bundle); else the class tool's. */
export function parseCheckArgs(
  argv: readonly string[],
  student = false,
): CheckArgs | { error: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        roster: { type: "string", default: "class.yaml" },
        only: { type: "string" },
        parallel: { type: "string", default: String(DEFAULT_PARALLEL) },
        check: { type: "string" },
        set: { type: "string", multiple: true, default: [] },
        format: { type: "string", default: "md" },
        results: { type: "string", default: "class-checks" },
        out: { type: "string", default: "dashboard" },
        bundle: { type: "string", default: "." },
      },
    });
  } catch (error) {
    return { error: (error as Error).message };
  }
  const { values, positionals } = parsed;
  const verb = student ? "check" : positionals.shift();
  if (verb !== "check" && verb !== "dashboard")
    return { error: "name the verb: check or dashboard" };
  if (verb === "check" && positionals.length !== 1) return { error: "name one lab: check <lab>" };
  if (verb === "dashboard" && positionals.length !== 0) return { error: "dashboard takes no lab" };
  const parallel = wholeNumber("--parallel", values.parallel, 1);
  if (typeof parallel !== "number") return parallel;
  if (!["md", "csv", "json"].includes(values.format)) {
    return { error: `--format is ${JSON.stringify(values.format)}: choose md, csv or json` };
  }
  const overrides = overridesOf(values.set);
  if ("problem" in overrides) return { error: overrides.problem };
  const only = list(values.only);
  const checks = list(values.check);
  return {
    verb,
    lab: positionals[0] ?? "",
    roster: values.roster,
    ...(only ? { only } : {}),
    parallel,
    ...(checks ? { checks } : {}),
    overrides: overrides.set,
    format: values.format as CheckFormat,
    results: values.results,
    out: values.out,
    bundle: values.bundle,
  };
}
