/**
 * The Markdown report of one or many stacks' previews, as a pull/merge-request comment: what would
 * destroy a running cluster first (servers replaced), then failures, one table row per stack, and
 * each stack's details collapsed. Pure and deterministic, so tests compare whole reports.
 *
 * Size: GitHub refuses comments over 65,536 characters (pulumi/actions #482, #1387), and a class
 * of 60 stacks with every server replaced gets there. The report is built from blocks in order of
 * importance and stops adding details before the cap, with a note saying what was left out.
 */
import type { ChangeKind, StackSummary } from "./summarize";
import { CHANGE_KINDS } from "./summarize";

/** GitHub's limit on a comment body. GitLab's note limit (1,000,000) is larger. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** The default cap leaves room below GitHub's limit for whatever CI wraps around the report. */
export const DEFAULT_MAX_CHARS = 60_000;
/** First line of every report: CI finds its earlier comment by it and edits it in place. */
export const REPORT_MARKER = "<!-- swarmlab-preview-summary -->";
/** Rows of a stack's "all changes" table; the rest is counted, not listed. */
const MAX_CHANGE_ROWS = 100;
/** Lines of a failed preview's stderr kept in the report. */
const LOG_TAIL_LINES = 40;

export interface RenderOptions {
  /**
   * Hard cap on the report's length in characters; default DEFAULT_MAX_CHARS. A larger cap is
   * for the full report CI keeps as an artifact, not for a comment.
   */
  maxChars?: number;
  /** Where the full output is (e.g. a link to the CI run); said in the note when cut. */
  fullReportHint?: string;
}

export function renderReport(stacks: readonly StackSummary[], options: RenderOptions = {}): string {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const sorted = [...stacks].sort((a, b) => a.stack.localeCompare(b.stack));
  const head = [
    REPORT_MARKER,
    `### Pulumi preview: ${plural(sorted.length, "stack")}`,
    ...replacementWarning(sorted),
    ...failureCaution(sorted),
    verdict(sorted),
    summaryTable(sorted),
  ].join("\n\n");
  const details = sorted.map((s) => ({ stack: s.stack, text: stackDetails(s) }));
  return fit(head, details, maxChars, options.fullReportHint);
}

function replacementWarning(stacks: readonly StackSummary[]): string[] {
  const hit = stacks.filter((s) => s.serverReplacements.length > 0);
  if (hit.length === 0) return [];
  const lines = [
    "> [!WARNING]",
    `> **Servers would be replaced in ${hit.length} of ${plural(stacks.length, "stack")}.** ` +
      "A replaced server is a new VM: its containers and swarm state are gone, the swarm is " +
      "rebuilt, and the services running on it are lost until they are deployed again. " +
      "Merge this between labs, not during one.",
    ">",
  ];
  for (const s of hit) {
    const servers = s.serverReplacements.map((r) => r.server);
    const reasons = [...new Set(s.serverReplacements.flatMap((r) => r.reasons))];
    const why = reasons.length ? ` because of ${reasons.join(", ")}` : "";
    lines.push(
      `> - **${text(s.stack)}**: ${plural(servers.length, "server")} ` +
        `(${text(listSome(servers, 8))})${text(why)}`,
    );
  }
  return [lines.join("\n")];
}

function failureCaution(stacks: readonly StackSummary[]): string[] {
  const failed = stacks.filter((s) => s.errors.length > 0);
  if (failed.length === 0) return [];
  const lines = [
    "> [!CAUTION]",
    `> **The preview failed for ${plural(failed.length, "stack")}**: what ` +
      (failed.length === 1
        ? "it would change is unknown until its preview passes. "
        : "they would change is unknown until their previews pass. ") +
      "Policy violations and config problems say how to fix the stack.",
    ">",
    ...failed.map((s) => `> - **${text(s.stack)}**: ${text(firstLine(s.errors[0]), 300)}`),
  ];
  return [lines.join("\n")];
}

function verdict(stacks: readonly StackSummary[]): string {
  const changed = stacks.filter((s) => s.errors.length === 0 && total(s) > 0);
  const ok = stacks.filter((s) => s.errors.length === 0);
  if (stacks.length === 0) return "No preview output was given.";
  if (ok.length > 0 && changed.length === 0) {
    return ok.length === stacks.length
      ? "No changes: every stack is up to date with this change."
      : "No changes in the stacks whose preview passed.";
  }
  const swarm = changed.filter((s) => s.swarmSteps.length > 0).length;
  return (
    `${plural(changed.length, "stack")} would change` +
    (swarm ? `; swarm steps would run in ${swarm}.` : ".")
  );
}

function summaryTable(stacks: readonly StackSummary[]): string {
  const rows = [
    "| stack | create | update | replace | delete | servers replaced | swarm steps run |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const s of stacks) {
    if (s.errors.length > 0) {
      rows.push(`| ${text(s.stack)} | ❌ preview failed | | | | | |`);
      continue;
    }
    const counts = CHANGE_KINDS.map((k) => String(s.counts[k]));
    const servers = s.serverReplacements.length;
    rows.push(
      `| ${text(s.stack)} | ${counts.join(" | ")} | ${servers ? `⚠️ **${servers}**` : "0"} | ` +
        `${s.swarmSteps.length} |`,
    );
  }
  return rows.join("\n");
}

function stackDetails(s: StackSummary): string {
  if (s.errors.length > 0) return failedDetails(s);
  const parts: string[] = [];
  if (s.serverReplacements.length > 0) {
    parts.push(
      "**Servers replaced**",
      table(
        ["server", "because"],
        s.serverReplacements.map((r) => [
          r.server,
          r.reasons.length
            ? r.reasons.join(", ")
            : "no property of its own: replaced with another server (replaceWith: a new " +
              "manager-0 is a new swarm) or by `pulumi up --replace`",
        ]),
      ),
    );
  }
  if (s.swarmSteps.length > 0) {
    parts.push(
      "**Swarm steps that would run**",
      table(
        ["step", "change", "what it does", "because"],
        s.swarmSteps.map((c) => [c.name, c.kind, c.role, c.properties.join(", ")]),
      ),
    );
  }
  if (s.changes.length > 0) {
    const shown = s.changes.slice(0, MAX_CHANGE_ROWS);
    parts.push(
      `**All changes** (${s.changes.length})`,
      table(
        ["change", "type", "name", "properties"],
        shown.map((c) => [c.kind, shortType(c.type), c.name, c.properties.join(", ")]),
      ),
    );
    if (s.changes.length > shown.length) {
      parts.push(`… and ${s.changes.length - shown.length} more changes.`);
    }
  }
  if (s.warnings.length > 0) parts.push("**Warnings**", codeBlock(s.warnings.join("\n")));
  const body = parts.length ? parts.join("\n\n") : "No changes.";
  return collapsed(`<b>${html(s.stack)}</b>: ${html(countsLine(s))}`, body);
}

function failedDetails(s: StackSummary): string {
  const parts = ["**Errors**", codeBlock(s.errors.join("\n"))];
  if (s.log) {
    const lines = s.log.split("\n");
    const tail = lines.slice(-LOG_TAIL_LINES).join("\n");
    parts.push(
      lines.length > LOG_TAIL_LINES
        ? `**Last ${LOG_TAIL_LINES} lines of the preview's output**`
        : "**The preview's output**",
      codeBlock(tail),
    );
  }
  return collapsed(`<b>${html(s.stack)}</b>: preview failed`, parts.join("\n\n"));
}

/**
 * The head, then as many stacks' details (in order) as fit under the cap together with a note
 * naming the stacks whose details were left out. A head alone over the cap is cut by lines.
 */
function fit(
  head: string,
  details: readonly { stack: string; text: string }[],
  maxChars: number,
  hint: string | undefined,
): string {
  const joined = (parts: readonly string[]) => parts.join("\n\n") + "\n";
  const whole = joined([head, ...details.map((d) => d.text)]);
  if (whole.length <= maxChars) return whole;

  const note = (left: readonly string[]) =>
    "> [!NOTE]\n> This report was cut to stay under GitHub's 65,536-character comment limit" +
    (left.length
      ? `: the details of ${plural(left.length, "stack")} (${text(listSome(left, 10))}) are left out`
      : "") +
    `. ${hint ?? "The full report is in the CI job's log."}`;
  // Length of head + the first `kept` details + the note, as joined() would make it.
  const prefix = [head.length];
  for (const d of details) prefix.push(prefix[prefix.length - 1] + 2 + d.text.length);
  for (let kept = details.length - 1; kept >= 0; kept--) {
    const left = details.slice(kept).map((d) => d.stack);
    if (prefix[kept] + 2 + note(left).length + 1 <= maxChars) {
      return joined([head, ...details.slice(0, kept).map((d) => d.text), note(left)]);
    }
  }
  const last = note(details.map((d) => d.stack));
  const lines = head.split("\n");
  while (lines.length > 1 && joined([lines.join("\n"), last]).length > maxChars) lines.pop();
  return joined([lines.join("\n"), last]).slice(0, maxChars);
}

function countsLine(s: StackSummary): string {
  const changed = CHANGE_KINDS.filter((k) => s.counts[k] > 0).map(
    (k: ChangeKind) => `${s.counts[k]} to ${k}`,
  );
  const parts = changed.length ? changed : ["no changes"];
  if (s.serverReplacements.length)
    parts.push(`⚠️ ${plural(s.serverReplacements.length, "server")} replaced`);
  if (s.swarmSteps.length) parts.push(`${plural(s.swarmSteps.length, "swarm step")} run`);
  return parts.join(", ");
}

function total(s: StackSummary): number {
  return CHANGE_KINDS.reduce((sum, k) => sum + s.counts[k], 0);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map((c) => text(c) || " ").join(" | ")} |`),
  ].join("\n");
}

/** `<details>` needs a blank line after `<summary>` for GitHub and GitLab to render Markdown in it. */
function collapsed(summary: string, body: string): string {
  return `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

/** A fence longer than any backtick run inside, so text from the preview cannot close it. */
function codeBlock(body: string): string {
  const longest = Math.max(2, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  return `${fence}text\n${body}\n${fence}`;
}

/** Text from the preview in a table cell or list item: no HTML, no column breaks, one line. */
function text(value: string, max = 500): string {
  const oneLine = value.replace(/\s*\n\s*/g, " ");
  const cut = oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
  return html(cut).replace(/\|/g, "\\|");
}

function html(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** `openstack:compute/instance:Instance` -> `openstack:Instance`. */
function shortType(type: string): string {
  const parts = type.split(":");
  return parts.length === 3 ? `${parts[0]}:${parts[2]}` : type;
}

function firstLine(value: string): string {
  return value.trim().split("\n", 1)[0];
}

function listSome(items: readonly string[], max: number): string {
  const shown = items.slice(0, max).join(", ");
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
