/**
 * A check run of a lab over one or more clusters, and its table: student x check, in Markdown
 * for the terminal, CSV for a spreadsheet, or JSON (what `class dashboard` reads back). Pure.
 */
import { csvTable, markdownTable } from "../class/table";
import type { CheckResult, CheckStatus } from "./plan";

export interface StudentChecks {
  id: string;
  results: CheckResult[];
  /** Why no check ran on this cluster (no stack outputs yet, a broken bundle). */
  problem?: string;
}

export interface CheckRun {
  format: 1;
  lab: string;
  /** When the run started, ISO 8601. */
  at: string;
  /** The checks of the run, in the lab's order. */
  checks: string[];
  students: StudentChecks[];
}

export type CheckFormat = "md" | "csv" | "json";

const CELL: Record<CheckStatus, string> = { pass: "pass", fail: "FAIL", error: "error" };

function rows(run: CheckRun): string[][] {
  return run.students.map((s) => [
    s.id,
    ...run.checks.map((name) => {
      const result = s.results.find((r) => r.check === name);
      return result ? CELL[result.status] : s.problem ? "error" : "";
    }),
  ]);
}

/** "- alice spread: <message>" for every check that did not pass, and every problem. */
function notes(run: CheckRun): string[] {
  return run.students.flatMap((s) => [
    ...(s.problem ? [`- ${s.id}: ${s.problem}`] : []),
    ...s.results
      .filter((r) => r.status !== "pass")
      .map((r) => `- ${s.id} ${r.check} (${r.status}): ${r.message}`),
  ]);
}

export function renderCheckRun(run: CheckRun, format: CheckFormat): string {
  if (format === "json") return `${JSON.stringify(run, null, 2)}\n`;
  const headers = ["student", ...run.checks];
  if (format === "csv") return csvTable(headers, rows(run));
  const passed = run.students.reduce(
    (n, s) => n + s.results.filter((r) => r.status === "pass").length,
    0,
  );
  const total = run.students.length * run.checks.length;
  const lines = notes(run);
  return (
    `${markdownTable(headers, rows(run))}\n\n${run.lab}: ${passed} of ${total} checks passed.\n` +
    (lines.length > 0 ? `\n${lines.join("\n")}\n` : "")
  );
}

/** 0 when every check of every student passed, else 1. */
export function checkRunExitCode(run: CheckRun): number {
  const allPass = run.students.every(
    (s) =>
      s.problem === undefined &&
      run.checks.every((c) => s.results.some((r) => r.check === c && r.status === "pass")),
  );
  return allPass ? 0 : 1;
}

/** Reads a saved run back (the dashboard's input); undefined for anything else. */
export function parseCheckRun(text: string): CheckRun | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<CheckRun>;
    if (parsed.format !== 1 || typeof parsed.lab !== "string" || !Array.isArray(parsed.students)) {
      return undefined;
    }
    return parsed as CheckRun;
  } catch {
    return undefined;
  }
}
