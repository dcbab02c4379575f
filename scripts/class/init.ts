/**
 * `class init`: writes Pulumi.<id>.yaml for every student of the roster. What it wrote is
 * recorded in .swarmlab-class/<id>.json so the next run can tell the roster's values (which
 * follow the roster) from values set by hand (which are kept). Running it twice changes nothing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { checkStackFile } from "../lib/check-stack-file";
import { assignLocalSlots } from "./local-class";
import type { Student } from "./roster";
import {
  renderStackFile,
  stackFileConfig,
  StackFilePlan,
  StackFileSyntaxError,
} from "./stack-file";

export const RECORD_DIR = ".swarmlab-class";

export interface InitResult {
  id: string;
  file: string;
  action: "created" | "updated" | "unchanged";
  /** Keys whose hand-set value differs from the roster's and was kept. */
  kept: string[];
  /** What the engine and the program say of the file as the stack will read it (hand-set values too). */
  problems: string[];
}

export function stackFilePath(dir: string, id: string): string {
  return path.join(dir, `Pulumi.${id}.yaml`);
}

function readIfExists(file: string): string | undefined {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}

/**
 * What stops `class init` before it writes anything: files it cannot read (each line names the
 * file and the place), or a local class it cannot give cidrs and port offsets.
 */
export class ClassInitRefused extends Error {
  constructor(
    readonly problems: readonly string[],
    what = "file(s) cannot be read",
    fix = "Fix them (or delete a stack file to have it written afresh) and run init again.",
  ) {
    super(
      `class init wrote nothing: ${problems.length} ${what}:\n` +
        problems.map((p) => `  - ${p}`).join("\n") +
        `\n${fix}`,
    );
    this.name = "ClassInitRefused";
  }
}

interface ReadFiles {
  student: Student;
  file: string;
  recordFile: string;
  current: string | undefined;
  recordText: string | undefined;
  record: Record<string, unknown>;
}

interface PlannedFile {
  student: Student;
  file: string;
  recordFile: string;
  current: string | undefined;
  recordText: string | undefined;
  plan: StackFilePlan;
}

/**
 * Every student's file is read and planned first; only when all of them can be read is any file
 * written, so one broken Pulumi.<id>.yaml leaves the whole class as it was (issue 26, item 9).
 */
export function initClass(students: readonly Student[], dir: string): InitResult[] {
  const unreadable: string[] = [];
  const read = students.flatMap((student): ReadFiles[] => {
    const file = stackFilePath(dir, student.id);
    const recordFile = path.join(dir, RECORD_DIR, `${student.id}.json`);
    const current = readIfExists(file);
    const recordText = readIfExists(recordFile);
    try {
      const record =
        recordText !== undefined ? (JSON.parse(recordText) as Record<string, unknown>) : {};
      return [{ student, file, recordFile, current, recordText, record }];
    } catch (error) {
      unreadable.push(
        `${recordFile}: not JSON (${(error as Error).message}); delete it, and init keeps every ` +
          `value of ${path.basename(file)} as set by hand`,
      );
      return [];
    }
  });
  // Local students share this machine's Docker engine: each gets a cidr and port offset no
  // other holds, unless the roster or a hand edit gives one (local-class.ts).
  const slots = assignLocalSlots(
    read.flatMap(({ student, current, record }) =>
      student.local !== undefined
        ? [
            {
              id: student.id,
              managers: student.local.managers,
              config: student.config,
              file: stackFileConfig(current),
              record,
            },
          ]
        : [],
    ),
  );
  const planned = read.flatMap((files): PlannedFile[] => {
    const { student, file, current, record } = files;
    const assigned = slots.ok ? slots.values.get(student.id) : undefined;
    try {
      const plan = renderStackFile(current, { ...student.config, ...assigned }, record);
      return [{ ...files, plan }];
    } catch (error) {
      if (!(error instanceof StackFileSyntaxError)) throw error;
      unreadable.push(...error.problems.map((p) => `${file}:${p}`));
      return [];
    }
  });
  if (unreadable.length > 0) throw new ClassInitRefused(unreadable);
  if (!slots.ok) {
    throw new ClassInitRefused(
      slots.problems,
      "problem(s) with the local class",
      "Fix class.yaml and run init again.",
    );
  }

  return planned.map(({ student, file, recordFile, current, recordText, plan }) => {
    if (plan.changed) fs.writeFileSync(file, plan.text);
    const recordNext = `${JSON.stringify(plan.written, null, 2)}\n`;
    if (recordNext !== recordText) {
      fs.mkdirSync(path.dirname(recordFile), { recursive: true });
      fs.writeFileSync(recordFile, recordNext);
    }
    const checked = checkStackFile(plan.text, file, student.id);
    const problems = checked.ok ? [] : checked.problems;
    const action = current === undefined ? "created" : plan.changed ? "updated" : "unchanged";
    return { id: student.id, file, action, kept: plan.kept, problems };
  });
}
