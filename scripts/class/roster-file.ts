/**
 * The roster file as a verb of the class tool reads it: a missing file or a roster with problems
 * is said on stderr (every problem, each with its fix) and ends the verb with its exit code.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { formatProblems, parseRoster, Roster } from "./roster";

export type RosterFileResult = { roster: Roster; warnings: string[] } | { exitCode: number };

export function readRosterFile(dir: string, name: string, today: string): RosterFileResult {
  const file = path.resolve(dir, name);
  if (!fs.existsSync(file)) {
    console.error(`${name} not found; docs/teacher.md ("A class at once") has a full example`);
    return { exitCode: 2 };
  }
  const parsed = parseRoster(fs.readFileSync(file, "utf8"), name, today);
  if (!parsed.ok) {
    console.error(formatProblems(name, parsed.problems));
    return { exitCode: 1 };
  }
  return { roster: parsed.roster, warnings: parsed.warnings };
}
