/**
 * From one stack's preview digest to the facts the report shows: how many resources each kind of
 * change touches, which servers would be replaced and why, and which swarm steps (remote
 * commands) would run. Pure: the report is rendered from this by render.ts.
 */
import type { ParsedPreview, PreviewStep } from "./digest";
import { parseUrn } from "./digest";
import { describeViolation, EventLog, isMandatory } from "./policy-events";
import { changeReason } from "../../infra/config/openstack-schema";

export const SERVER_TYPE = "openstack:compute/instance:Instance";
export const COMMAND_TYPE = "command:remote:Command";
/** A ManagerStep (infra/swarm/manager-step.ts): swarm steps are dynamic resources of this type. */
export const MANAGER_STEP_TYPE = "pulumi-nodejs:dynamic:Resource";

export type ChangeKind = "create" | "update" | "replace" | "delete";
export const CHANGE_KINDS: readonly ChangeKind[] = ["create", "update", "replace", "delete"];

export interface ResourceChange {
  kind: ChangeKind;
  type: string;
  /** The Pulumi name (the URN's last part). */
  name: string;
  /** The properties behind the change, as Pulumi names them (e.g. userData, imageName). */
  properties: string[];
}

export interface ServerReplacement {
  /** The OpenStack server name (e.g. alice-worker-0), else the Pulumi name. */
  server: string;
  /**
   * Human reasons from the provider's table (infra/config/openstack-schema.ts), e.g. "image:
   * swarmlab replaces it (rebuild key) ..."; empty when replaced along with another server.
   */
  reasons: string[];
}

export interface SwarmStep {
  name: string;
  /** What the step does in the swarm, when known. */
  role: string;
  kind: ChangeKind;
  properties: string[];
}

export interface StackSummary {
  stack: string;
  /** Why the preview failed: error diagnostics, or why its output could not be read. */
  errors: string[];
  warnings: string[];
  counts: Record<ChangeKind, number>;
  /** Resources Pulumi would leave alone (from `changeSummary.same`), when known. */
  unchanged?: number;
  changes: ResourceChange[];
  serverReplacements: ServerReplacement[];
  swarmSteps: SwarmStep[];
  /** The tail of the preview's stderr, shown when it failed (policy violations are only there). */
  log?: string;
}

/** Steps that belong to a replacement, whichever of them `--show-replacement-steps` lists. */
const REPLACE_OPS = new Set([
  "replace",
  "create-replacement",
  "delete-replaced",
  "discard-replaced",
  "import-replacement",
]);
const OP_KIND: Record<string, ChangeKind> = {
  create: "create",
  import: "create",
  update: "update",
  delete: "delete",
  discard: "delete",
};

/** The swarm steps swarmlab creates, by the end of their Pulumi name (infra/swarm/swarm.ts). */
const SWARM_ROLES: readonly [suffix: string, role: string][] = [
  ["-host-key", "pins the manager's SSH host key at first contact (sends nothing)"],
  ["-bootstrap-tokens", "reads the join tokens on the first manager that answers"],
  ["-survivors", "asks the surviving managers how a new manager-0 joins them"],
  ["-membership", "node membership: on delete it drains and removes the node from the swarm"],
  ["-ready-check", "ready gate: waits until every node is Ready"],
  ["-rotate-tokens", "rotates the join tokens"],
  ["-autolock", "sets swarm autolock on or off, as swarmlab:autolock says"],
  ["-docker-api", "Docker API over mutual TLS on this manager (restarts its dockerd)"],
  ["-registry-deploy", "deploys the lab registry on manager-0 and waits until it answers over TLS"],
];

/** What CI knows besides the JSON: a preview that fails a policy prints a whole digest on stdout. */
export interface PreviewRun {
  /** The preview's stderr (CLI errors; policy violations only without --json). */
  log?: string;
  /** The engine's event stream (`--event-log`): where a --json preview's policy violations are. */
  events?: EventLog;
  /** The preview's exit status; non-zero fails the stack even when its JSON looks complete. */
  exitCode?: number;
}

export function summarizeStack(
  fallbackStack: string,
  parsed: ParsedPreview,
  run: PreviewRun = {},
): StackSummary {
  const log = run.log?.trim();
  const summary: StackSummary = {
    stack: fallbackStack,
    errors: [],
    warnings: [],
    counts: { create: 0, update: 0, replace: 0, delete: 0 },
    changes: [],
    serverReplacements: [],
    swarmSteps: [],
    ...(log ? { log } : {}),
  };
  const failedRun = run.exitCode !== undefined && run.exitCode !== 0;
  const violations = run.events?.violations ?? [];
  const mandatory = violations.filter(isMandatory).map(describeViolation);
  const advisory = violations.filter((v) => !isMandatory(v)).map(describeViolation);
  summary.warnings.push(...advisory);
  // Without an event log (an older run), the human display's lines on stderr are all there is.
  const policyErrors = run.events !== undefined ? mandatory : policyViolations(log);
  if (!parsed.ok) {
    summary.errors.push(parsed.reason, ...policyErrors);
    return summary;
  }
  const { digest } = parsed;
  const steps = digest.steps ?? [];
  const stackFromUrn = steps.map((s) => parseUrn(s.urn)?.stack).find((s) => s);
  if (stackFromUrn) summary.stack = stackFromUrn;

  for (const diagnostic of digest.diagnostics ?? []) {
    const text = `${diagnostic.prefix ?? ""}${diagnostic.message ?? ""}`.trim();
    if (!text) continue;
    if (diagnostic.severity === "error") summary.errors.push(text);
    else if (diagnostic.severity === "warning") summary.warnings.push(text);
  }
  if (failedRun || mandatory.length > 0) {
    summary.errors.push(...policyErrors);
    if (summary.errors.length === 0) {
      summary.errors.push(`pulumi preview exited with status ${run.exitCode}`);
    }
  }
  if (digest.maybeCorrupt) summary.warnings.push("Pulumi reports that the state may be corrupt.");
  if (typeof digest.changeSummary?.same === "number") {
    summary.unchanged = digest.changeSummary.same;
  }

  for (const change of changesOf(steps)) {
    summary.counts[change.kind]++;
    summary.changes.push(change);
  }
  summary.serverReplacements = serverReplacements(steps);
  summary.swarmSteps = summary.changes
    .filter((c) => c.type === COMMAND_TYPE || c.type === MANAGER_STEP_TYPE)
    .map((c) => ({
      name: c.name,
      role: swarmRole(c.name),
      kind: c.kind,
      properties: c.properties,
    }));
  return summary;
}

/** One change per resource: a replacement's several steps count once, as a replace. */
function changesOf(steps: readonly PreviewStep[]): ResourceChange[] {
  const byUrn = new Map<string, PreviewStep[]>();
  for (const step of steps) byUrn.set(step.urn, [...(byUrn.get(step.urn) ?? []), step]);
  const changes: ResourceChange[] = [];
  for (const [urn, group] of byUrn) {
    const kind = group.some((s) => REPLACE_OPS.has(s.op))
      ? "replace"
      : group.map((s) => OP_KIND[s.op]).find((k) => k !== undefined);
    if (kind === undefined) continue; // same, read, refresh: nothing changes
    const parts = parseUrn(urn);
    changes.push({
      kind,
      type: group.map(typeOf).find((t) => t) ?? "unknown",
      name: parts?.name ?? urn,
      properties: unique(group.flatMap((s) => changedProperties(s, kind))),
    });
  }
  return changes;
}

function typeOf(step: PreviewStep): string | undefined {
  return step.newState?.type ?? step.oldState?.type ?? parseUrn(step.urn)?.type;
}

/**
 * The properties behind a change. For a replace, the engine's replaceReasons; failing those, the
 * detailed diff's `*-replace` entries (top-level key only: `networks[0].port` -> `networks`).
 */
function changedProperties(step: PreviewStep, kind: ChangeKind): string[] {
  if (kind === "create" || kind === "delete") return [];
  const detailed = Object.entries(step.detailedDiff ?? {});
  const topLevel = (path: string) => path.split(/[.[]/, 1)[0];
  if (kind === "replace") {
    if (step.replaceReasons?.length) return step.replaceReasons.map(topLevel);
    const forcing = detailed.filter(([, d]) => d.kind.endsWith("-replace")).map(([p]) => p);
    if (forcing.length) return forcing.map(topLevel);
  }
  if (step.diffReasons?.length) return step.diffReasons.map(topLevel);
  return detailed.map(([p]) => topLevel(p));
}

function serverReplacements(steps: readonly PreviewStep[]): ServerReplacement[] {
  const seen = new Set<string>();
  const result: ServerReplacement[] = [];
  for (const step of steps) {
    if (!REPLACE_OPS.has(step.op) || typeOf(step) !== SERVER_TYPE || seen.has(step.urn)) continue;
    seen.add(step.urn);
    const group = steps.filter((s) => s.urn === step.urn);
    const name =
      group.map((s) => s.newState?.inputs?.name ?? s.oldState?.inputs?.name).find(isString) ??
      parseUrn(step.urn)?.name ??
      step.urn;
    const properties = unique(group.flatMap((s) => changedProperties(s, "replace")));
    result.push({
      server: name,
      // From the provider's table (openstack-schema.ts): what the argument is, and whether the
      // provider or swarmlab's rebuild key replaces the server for it.
      reasons: unique(properties.map((p) => changeReason(SERVER_TYPE, p, "replace"))),
    });
  }
  return result;
}

/**
 * The human display (`pulumi preview` without --json) prints each violation as a line
 * `[mandatory]  <pack> v<version>  <rule> (<resource>)` followed by the rule's message. A --json
 * preview prints none of it (policy events are only in the event stream, policy-events.ts): this
 * reads logs of previews run without --json.
 */
function policyViolations(log: string | undefined): string[] {
  if (!log) return [];
  const lines = log.split("\n");
  const found: string[] = [];
  lines.forEach((line, i) => {
    if (!/^\s*\[(mandatory|advisory)\]/.test(line)) return;
    const message = lines[i + 1]?.trim();
    found.push(`policy ${line.trim().replace(/\s{2,}/g, " ")}${message ? `: ${message}` : ""}`);
  });
  return found;
}

export function swarmRole(name: string): string {
  return SWARM_ROLES.find(([suffix]) => name.endsWith(suffix))?.[1] ?? "remote command";
}

function isString(value: unknown): value is string {
  return typeof value === "string" && value !== "" && value !== "[secret]";
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
