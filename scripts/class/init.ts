/**
 * `class init`: writes Pulumi.<id>.yaml for every student of the roster. What it wrote is
 * recorded in .swarmlab-class/<id>.json so the next run can tell the roster's values (which
 * follow the roster) from values set by hand (which are kept). Running it twice changes nothing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { checkStackFile } from "../lib/check-stack-file";
import type { Student } from "./roster";
import { renderStackFile } from "./stack-file";

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

export function initClass(students: readonly Student[], dir: string): InitResult[] {
  return students.map((student) => {
    const file = stackFilePath(dir, student.id);
    const recordFile = path.join(dir, RECORD_DIR, `${student.id}.json`);
    const current = readIfExists(file);
    const recordText = readIfExists(recordFile);
    const record =
      recordText === undefined ? {} : (JSON.parse(recordText) as Record<string, unknown>);
    const plan = renderStackFile(current, student.config, record);
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
