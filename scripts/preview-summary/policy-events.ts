/**
 * Policy violations from the engine's event stream, the only place a `--json` preview keeps them
 * (the JSON display prints the digest alone and drops policy events). CI writes the stream with
 * `pulumi preview --event-log FILE` (run-previews.sh).
 *
 * The format, from pulumi/pulumi:
 * - pkg/backend/display/display.go `startEventLogger`/`logJSONEvent`: one apitype.EngineEvent
 *   per line (a json.Encoder, so newline-delimited JSON), with `sequence` and `timestamp`; with
 *   `--color never` the colour directives (`<{%reset%}>`) are taken out of policy messages and
 *   `color` is "never".
 * - sdk/go/common/apitype/events.go `PolicyEvent`: resourceUrn (omitted for a stack policy),
 *   message, color, policyName, policyPackName, policyPackVersion, policyPackVersionTag,
 *   enforcementLevel ("warning"/"advisory", "mandatory", "remediate", "none"), severity.
 * - pkg/engine/events.go `policyViolationEvent`: message = the analyzer's message + "\n"; the
 *   Node policy SDK (@pulumi/policy server.js `makeReportViolationFun`) makes that the policy's
 *   description, then "\n" and the text given to reportViolation: ours names the bad value and
 *   the fix (policy/rules.ts).
 */
import { parseUrn } from "./digest";

export interface PolicyViolation {
  pack: string;
  packVersion: string;
  policy: string;
  /** mandatory fails the preview; advisory (warning) does not. */
  level: string;
  /** The resource's Pulumi name; absent for a rule on the whole stack. */
  resource?: string;
  /** The rule's description (what it wants). */
  description: string;
  /** What is wrong with this stack and how to fix it (the whole message if it has one line). */
  detail: string;
}

export interface EventLog {
  violations: PolicyViolation[];
  /** Lines that were not an engine event (a preview killed mid-write leaves half a line). */
  unreadLines: number;
}

interface RawPolicyEvent {
  resourceUrn?: unknown;
  message?: unknown;
  policyName?: unknown;
  policyPackName?: unknown;
  policyPackVersion?: unknown;
  enforcementLevel?: unknown;
}

/** Colour directives (`<{%fg 12%}>`, `<{%reset%}>`) of a log written without `--color never`. */
function withoutColour(text: string): string {
  return text.replace(/<\{%[^%]*%\}>/g, "");
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function violation(event: RawPolicyEvent): PolicyViolation {
  const message = withoutColour(text(event.message)).trim();
  const newline = message.indexOf("\n");
  const description = newline < 0 ? "" : message.slice(0, newline).trim();
  const detail = newline < 0 ? message : message.slice(newline + 1).trim();
  const urn = text(event.resourceUrn);
  const resource = urn === "" ? undefined : (parseUrn(urn)?.name ?? urn);
  return {
    pack: text(event.policyPackName),
    packVersion: text(event.policyPackVersion),
    policy: text(event.policyName),
    level: text(event.enforcementLevel) || "advisory",
    ...(resource !== undefined ? { resource } : {}),
    description,
    detail,
  };
}

export function parseEventLog(log: string): EventLog {
  const violations: PolicyViolation[] = [];
  let unreadLines = 0;
  for (const line of log.split("\n")) {
    if (line.trim() === "") continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      unreadLines++;
      continue;
    }
    if (typeof event !== "object" || event === null) {
      unreadLines++;
      continue;
    }
    const policyEvent = (event as { policyEvent?: unknown }).policyEvent;
    if (typeof policyEvent === "object" && policyEvent !== null) {
      violations.push(violation(policyEvent as RawPolicyEvent));
    }
  }
  return { violations, unreadLines };
}

/** Fails the preview: the engine stops an update on these. */
export function isMandatory(v: PolicyViolation): boolean {
  return v.level === "mandatory";
}

/** One line for the report: rule, level, pack, resource, then what to change. */
export function describeViolation(v: PolicyViolation): string {
  const where = v.resource !== undefined ? ` on ${v.resource}` : " on the stack";
  const pack =
    v.pack !== "" ? `, ${v.pack}${v.packVersion !== "" ? ` v${v.packVersion}` : ""}` : "";
  return `policy ${v.policy} (${v.level}${pack})${where}: ${v.detail || v.description}`;
}
