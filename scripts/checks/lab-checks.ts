/**
 * A lab's checks on disk: stacks/<lab>/checks/*.sh (POSIX sh, one JSON line each; every
 * script's header says what it checks and which environment variables it takes) and
 * stacks/<lab>/checks/params.yaml, the values of those variables for this lab, by check name.
 * The only file of the checks that reads the disk; planning and parsing are pure (plan.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { availableStacks, stacksDir } from "../../infra/stacks/catalog";

export const CHECKS_FOLDER = "checks";
export const PARAMS_FILE = "params.yaml";

/** One check script of a lab: its name (the file without .sh) and its text. */
export interface CheckSource {
  name: string;
  text: string;
}

/** A lab's checks as read from its folder. */
export interface LabChecks {
  lab: string;
  checks: CheckSource[];
  /** Check name -> variable -> value, from params.yaml (none: {}). */
  params: Record<string, Record<string, string>>;
}

/** The labs that have checks: stacks with a checks/ folder holding at least one script. */
export function labsWithChecks(dir = stacksDir()): string[] {
  return availableStacks(dir).filter((lab) => readChecks(lab, dir).checks.length > 0);
}

function paramsOf(file: string): Record<string, Record<string, string>> {
  if (!fs.existsSync(file)) return {};
  const parsed: unknown = parse(fs.readFileSync(file, "utf8"));
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`${file} must map check names to their variables`);
  }
  const params: Record<string, Record<string, string>> = {};
  for (const [check, vars] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof vars !== "object" || vars === null || Array.isArray(vars)) {
      throw new Error(`${file}: ${check} must map variable names to values`);
    }
    params[check] = Object.fromEntries(
      Object.entries(vars as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    );
  }
  return params;
}

/** The checks of `lab` (none when it has no checks/ folder), sorted by name. */
export function readChecks(lab: string, dir = stacksDir()): LabChecks {
  const folder = path.join(dir, lab, CHECKS_FOLDER);
  if (!fs.existsSync(folder)) return { lab, checks: [], params: {} };
  const checks = fs
    .readdirSync(folder)
    .filter((file) => file.endsWith(".sh"))
    .sort()
    .map((file) => ({
      name: file.slice(0, -".sh".length),
      text: fs.readFileSync(path.join(folder, file), "utf8"),
    }));
  return { lab, checks, params: paramsOf(path.join(folder, PARAMS_FILE)) };
}
