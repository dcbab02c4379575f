/** The table printed after a class-wide operation, and what is left to do. */
import type { StudentResult } from "./runner";
import { markdownTable, minutesSeconds } from "./table";
import type { ChangeCounts, Operation } from "./workspace";

/** { create: 3, update: 1, same: 9 } -> "+3 ~1" (Pulumi's own signs); "" when nothing changes. */
export function changeText(changes: ChangeCounts | undefined): string {
  if (changes === undefined) return "";
  const signs: [string, string][] = [
    ["create", "+"],
    ["update", "~"],
    ["replace", "+-"],
    ["delete", "-"],
  ];
  return signs
    .filter(([kind]) => (changes[kind] ?? 0) > 0)
    .map(([kind, sign]) => `${sign}${changes[kind]}`)
    .join(" ");
}

function firstLine(text: string | undefined): string {
  const line = (text ?? "").split("\n").find((l) => l.trim() !== "") ?? "";
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}

export function renderSummary(operation: Operation, results: readonly StudentResult[]): string {
  const rows = results.map((r) => [
    r.id,
    r.state,
    r.seconds > 0 ? minutesSeconds(r.seconds) : "",
    changeText(r.changes),
    firstLine(r.error),
  ]);
  const table = markdownTable(["student", "result", "time", "changes", "error"], rows);
  const count = (states: string[]) => results.filter((r) => states.includes(r.state)).length;
  const done = count(["ok", "no change"]);
  const lines = [table, "", `${operation}: ${done} of ${results.length} students finished.`];
  const left = results.filter((r) => !["ok", "no change"].includes(r.state)).map((r) => r.id);
  if (left.length > 0) {
    lines.push(
      `Left to do (${left.length}): ${left.join(", ")}.`,
      `Run \`npm run class -- ${operation} --only ${left.join(",")}\` (or the whole class again:` +
        " finished students are a no-change).",
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Full error texts, one block per failed student, for after the table. */
export function renderErrors(results: readonly StudentResult[]): string {
  return results
    .filter((r) => r.error !== undefined)
    .map((r) => `--- ${r.id} (${r.state}) ---\n${r.error?.trimEnd()}\n`)
    .join("\n");
}
