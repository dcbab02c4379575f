/**
 * Pure planning of a lab's checks for one cluster, the script each sends over SSH, and the
 * result each printed. A check is one POSIX sh script run on a manager (read-only, prints one
 * JSON line); its parameters travel as shell assignments at the top of its stdin, never in the
 * command line.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { RemoteScript, shellQuote } from "../../infra/swarm/remote-scripts";
import type { CheckSource, LabChecks } from "./lab-checks";

export type CheckStatus = "pass" | "fail" | "error";

/** What one check came to on one cluster. `error`: it could not run, or printed no verdict. */
export interface CheckResult {
  check: string;
  status: CheckStatus;
  message: string;
  evidence: Record<string, unknown>;
}

/** One check ready to run: its script and the values of its variables. */
export interface PlannedCheck {
  name: string;
  text: string;
  params: Record<string, string>;
  /** Required variables nothing gave a value: the check is not run, its result says how to. */
  missing: string[];
}

/**
 * Variables the cluster's own stack outputs give (bundle fields for a student's run), unless the
 * lab's params.yaml or `--set` names them: the registry the nodes pull from, the overlay MTU
 * swarmlab writes into the stacks' networks.
 */
export const FROM_OUTPUTS: Readonly<Record<string, string>> = {
  REGISTRY: "registryInternal",
  EXPECTED_MTU: "overlayMtu",
};

const VARIABLE = /^[A-Z][A-Z0-9_]*$/;

/** The variables a check script's header documents: indented `NAME  text` comment lines. */
export function documentedVariables(text: string): string[] {
  return [...text.matchAll(/^#\s{3}([A-Z][A-Z0-9_]*)\s{2,}/gm)].map((m) => m[1]);
}

/** The variables the header marks `(required`: the script refuses to run without them. */
export function requiredVariables(text: string): string[] {
  return [...text.matchAll(/^#\s{3}([A-Z][A-Z0-9_]*)\s{2,}.*\(required/gm)].map((m) => m[1]);
}

/** The result of a check that was not run because `missing` variables have no value. */
export function missingResult(check: PlannedCheck): CheckResult {
  const sets = check.missing.map((name) => `--set ${name}=VALUE`).join(" ");
  return errorResult(
    check.name,
    `the check ${check.name} needs ${check.missing.join(", ")}, which neither the cluster's ` +
      `outputs nor the lab's params.yaml give: run it again with ${sets} (the script's header ` +
      "says what each means)",
    { missing: check.missing },
  );
}

/**
 * The checks of `lab` to run (all, or those `only` names), each with its variables: the cluster's
 * outputs first, then the lab's params.yaml, then `overrides` (`--set NAME=VALUE`). A name in
 * `only` that the lab has not is an error naming the lab's checks.
 */
export function planChecks(
  lab: LabChecks,
  outputs: Record<string, unknown>,
  options: { only?: readonly string[]; overrides?: Record<string, string> } = {},
): PlannedCheck[] | { error: string } {
  if (lab.checks.length === 0) {
    return { error: `the lab ${lab.lab} has no checks (stacks/${lab.lab}/checks/*.sh)` };
  }
  const names = lab.checks.map((c) => c.name);
  const unknown = (options.only ?? []).filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    return {
      error: `--check names checks ${lab.lab} has not: ${unknown.join(", ")} (it has ${names.join(", ")})`,
    };
  }
  const bad = Object.keys(options.overrides ?? {}).filter((name) => !VARIABLE.test(name));
  if (bad.length > 0) {
    return { error: `--set takes NAME=VALUE with an upper-case NAME; not ${bad.join(", ")}` };
  }
  const fromOutputs: Record<string, string> = {};
  for (const [variable, output] of Object.entries(FROM_OUTPUTS)) {
    const value = outputs[output];
    if (typeof value === "string" || typeof value === "number")
      fromOutputs[variable] = String(value);
  }
  const chosen =
    options.only === undefined
      ? lab.checks
      : lab.checks.filter((c) => options.only?.includes(c.name));
  return chosen.map((check: CheckSource) => {
    const documented = documentedVariables(check.text);
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries({
      ...fromOutputs,
      ...(lab.params[check.name] ?? {}),
      ...(options.overrides ?? {}),
    })) {
      if (documented.includes(name)) params[name] = value;
    }
    const missing = requiredVariables(check.text).filter((name) => params[name] === undefined);
    return { name: check.name, text: check.text, params, missing };
  });
}

/** The helpers every check may call (json_str, result, require_manager): check-lib.sh. */
export const CHECK_LIB = fs.readFileSync(path.join(__dirname, "check-lib.sh"), "utf8");

/**
 * The script as SSH runs it: `sh -s` (through `sudo -n` unless the user is root, as the swarm
 * steps' `as_root` does: docker needs root), stdin = the variables, exported, then CHECK_LIB,
 * then the check.
 */
export function checkScript(check: PlannedCheck, user: string): RemoteScript {
  const assignments = Object.entries(check.params)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${shellQuote(value)}; export ${name}\n`)
    .join("");
  return {
    command: user === "root" ? "sh -s" : "sudo -n sh -s",
    stdin: `${assignments}${CHECK_LIB}${check.text}`,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An `error` result of `check`, with what it printed as evidence. */
export function errorResult(
  check: string,
  message: string,
  evidence: Record<string, unknown> = {},
): CheckResult {
  return { check, status: "error", message, evidence };
}

/**
 * The verdict a check printed: its last non-empty stdout line as JSON with `check`, `status`
 * pass|fail and a `message`. Anything else (not JSON, another check's name, no status) is an
 * `error` result that quotes the line, never a crash.
 */
export function parseCheckOutput(check: string, stdout: string): CheckResult {
  const line =
    stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "")
      .pop() ?? "";
  if (line === "") return errorResult(check, `the check ${check} printed nothing`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return errorResult(check, `the check ${check} printed a line that is not JSON`, {
      line: line.slice(0, 500),
    });
  }
  if (
    !isRecord(parsed) ||
    parsed.check !== check ||
    (parsed.status !== "pass" && parsed.status !== "fail") ||
    typeof parsed.message !== "string"
  ) {
    return errorResult(
      check,
      `the check ${check} printed JSON without its check name, a pass/fail status and a message`,
      {
        line: line.slice(0, 500),
      },
    );
  }
  return {
    check,
    status: parsed.status,
    message: parsed.message,
    evidence: isRecord(parsed.evidence) ? parsed.evidence : {},
  };
}
