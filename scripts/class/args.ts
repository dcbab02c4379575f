/** The command line of `npm run class -- <verb>`, and which students a run is about. */
import { parseArgs } from "node:util";
import { expiredIds } from "./expiry";
import type { Student } from "./roster";
import { OPERATIONS, Operation } from "./workspace";

export const VERBS = ["init", ...OPERATIONS, "outputs", "bundles", "status"] as const;
export type Verb = (typeof VERBS)[number];

/** Small on purpose: floating-IP allocation races and API rate limits hurt a burst. */
export const DEFAULT_PARALLEL = 4;

export interface ClassArgs {
  verb: Verb;
  roster: string;
  only?: string[];
  parallel: number;
  expired: boolean;
  format: "md" | "csv";
  skipQuota: boolean;
  /** With up or preview: refresh each stack's state from the cloud first. */
  refresh: boolean;
  /** With bundles: the folder that gets one folder per student. */
  out: string;
}

export const USAGE = `usage: npm run class -- <verb> [options]

verbs:
  init        write Pulumi.<id>.yaml for every student (keeps values set by hand)
  preview     pulumi preview of each student's stack
  up          quota check, then pulumi up of each stack
  destroy     pulumi destroy (with --expired: only the clusters past their last day)
  refresh     pulumi refresh of each stack
  outputs     manager IP, ssh command, registry, stack URLs and state of each student (Markdown or CSV)
  bundles     one private folder per student (docker context, SSH key and config, registry
              login, URLs, a guide): hand each student theirs, nothing else
  status      which stacks exist, their last update and result, and expiry
  check <lab> run the lab's checks (stacks/<lab>/checks) on every cluster and print student x
              check (--check a,b  --set NAME=VALUE  --format md|csv|json); saved in class-checks/
  dashboard   write dashboard/index.html and class.json (open the file, or serve the folder)

options:
  --roster FILE     the roster (default class.yaml)
  --only a,b        just these students
  --parallel N      at most N stacks at once (default ${DEFAULT_PARALLEL})
  --expired         with destroy: only expired clusters
  --format md|csv   with outputs (default md)
  --out DIR         with bundles: where the per-student folders go (default bundles)
  --skip-quota      with up: do not check the OpenStack quota first
  --refresh         with up or preview: refresh each stack from the cloud first (pulumi up
                    --refresh), so a server deleted behind Pulumi's back is created again`;

/** A flag's value as a whole number of at least `min`, or the error that names the flag. */
export function wholeNumber(flag: string, value: string, min: number): number | { error: string } {
  const number = Number(value);
  if (value.trim() === "" || !Number.isInteger(number) || number < min) {
    return { error: `${flag} is ${JSON.stringify(value)}: give a whole number of at least ${min}` };
  }
  return number;
}

export function parseClassArgs(argv: readonly string[]): ClassArgs | { error: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        roster: { type: "string", default: "class.yaml" },
        only: { type: "string" },
        parallel: { type: "string", default: String(DEFAULT_PARALLEL) },
        expired: { type: "boolean", default: false },
        format: { type: "string", default: "md" },
        "skip-quota": { type: "boolean", default: false },
        refresh: { type: "boolean", default: false },
        out: { type: "string" },
      },
    });
  } catch (error) {
    return { error: (error as Error).message };
  }
  const { values, positionals } = parsed;
  const verb = positionals[0];
  if (positionals.length !== 1 || !(VERBS as readonly string[]).includes(verb)) {
    return { error: `name one verb: ${VERBS.join(", ")}` };
  }
  const parallel = wholeNumber("--parallel", values.parallel, 1);
  if (typeof parallel !== "number") return parallel;
  if (values.format !== "md" && values.format !== "csv") {
    return { error: `--format is ${JSON.stringify(values.format)}: choose md or csv` };
  }
  if (values.expired && verb !== "destroy") {
    return { error: "--expired goes with destroy (status shows which clusters are expired)" };
  }
  if (values.refresh && verb !== "up" && verb !== "preview") {
    return { error: "--refresh goes with up or preview (the refresh verb refreshes alone)" };
  }
  if (values.out !== undefined && verb !== "bundles") {
    return { error: "--out goes with bundles" };
  }
  return {
    verb: verb as Verb,
    roster: values.roster,
    ...(values.only !== undefined ? { only: values.only.split(",").map((id) => id.trim()) } : {}),
    parallel,
    expired: values.expired,
    format: values.format,
    skipQuota: values["skip-quota"],
    refresh: values.refresh,
    out: values.out ?? "bundles",
  };
}

/** The students a verb acts on, in roster order; an --only id not in the roster is an error. */
export function selectStudents(
  students: readonly Student[],
  args: Pick<ClassArgs, "only" | "expired">,
  today: string,
): Student[] | { error: string } {
  const known = new Set(students.map((s) => s.id));
  const unknown = (args.only ?? []).filter((id) => !known.has(id));
  if (unknown.length > 0) {
    return { error: `--only names students not in the roster: ${unknown.join(", ")}` };
  }
  const only = args.only === undefined ? known : new Set(args.only);
  const expired = new Set(expiredIds(students, today));
  return students.filter((s) => only.has(s.id) && (!args.expired || expired.has(s.id)));
}

export function isOperation(verb: Verb): verb is Operation {
  return (OPERATIONS as readonly string[]).includes(verb);
}
