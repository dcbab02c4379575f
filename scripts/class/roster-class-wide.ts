/**
 * Which of a roster's problems belong to its class section: those the class section has on its
 * own, checked as a student with no settings of their own. A teacher then reads each of them once,
 * as `class.swarmlab.<key>`, instead of once per student (issue 26, item 11: 23 lines for about
 * 10 problems).
 */
import type { KeyedProblem } from "./roster-checks";

/** A student whose stack file was checked, and what the check found. */
export interface Checked {
  readonly id: string;
  readonly label: string;
  /** The swarmlab keys the student's own entry sets (the rest come from `class:` or defaults). */
  readonly ownKeys: ReadonlySet<string>;
  readonly problems: readonly KeyedProblem[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A message as every student would have it: the student's id masked. */
export function masked(text: string, id: string): string {
  return text.replace(new RegExp(`\\b${escapeRegExp(id)}\\b`, "g"), "<id>");
}

/** A problem as every student would have it: its key and its words, the id masked. */
export function signature(problem: KeyedProblem, id: string): string {
  return `${problem.key ?? ""}\u0000${masked(problem.reason, id)}`;
}

/** The id the class section is checked under on its own (masked in every message). */
export const CLASS_STAND_IN = "class-defaults";

/**
 * The problems to say once, as `class.swarmlab.<key>`: those the class section has on its own
 * (checked as a student with no settings of their own), found in a student who does not set
 * that key. Its value, or its absence, then comes from the class section, and so does the fix. A
 * student whose own entry causes a problem (zfs where the class says btrfs) keeps a line of its
 * own, since the class section alone does not have that problem.
 */
export function classWideProblems(
  checked: readonly Checked[],
  classProblems: readonly KeyedProblem[],
): { lines: string[]; signatures: Set<string> } {
  const ofClass = new Set(classProblems.map((p) => signature(p, CLASS_STAND_IN)));
  const lines: string[] = [];
  const signatures = new Set<string>();
  for (const student of checked) {
    for (const problem of student.problems) {
      const key = problem.key;
      const sig = signature(problem, student.id);
      if (key === undefined || student.ownKeys.has(key) || !ofClass.has(sig)) continue;
      if (signatures.has(sig)) continue;
      signatures.add(sig);
      lines.push(`class.swarmlab.${key}: ${sig.split("\u0000")[1] ?? problem.reason}`);
    }
  }
  return { lines, signatures };
}
