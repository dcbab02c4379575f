/**
 * The `swarmlab:` config the program reads, made the way the Pulumi engine makes it: the stack's
 * keys over the defaults Pulumi.yaml declares, checked against the declared types first. Without
 * this, tests and the offline render fed the program only the stack's keys, and a declared default
 * that breaks validation (issue 15: `dockerVolumeFilesystem: ext4` under btrfs) passed every test
 * and failed every real stack.
 *
 * Mirrors the engine's mergeConfig and validateStackConfigValues (pulumi/pulumi
 * pkg/workspace/config.go) and ValidateConfigValue (sdk/go/common/workspace/project.go):
 * - a declared key the stack does not set takes its default: strings, integers and booleans as
 *   their text ("1", "false", ""), anything else JSON-encoded ("[]") (`createConfigValue`);
 * - declared keys without a default that the stack does not set are listed in ONE message, and
 *   that comes first ("Stack 'alice' is missing configuration value 'allowedCidrs'");
 * - then each stack value of the wrong declared type, in sorted key order ("... must be of type
 *   'integer'"): `integer` is text strconv.Atoi takes (an optional sign, digits, within int64:
 *   "+3" passes, " 3", "3.0" and "0x10" do not), `boolean` exactly "true" or "false", `array`
 *   only a YAML list (an object value) whose items have the item type, `string` anything but a
 *   list or map.
 * The engine itself prints only the first of these and stops (mergeConfig returns the missing-keys
 * error before validating types, validateStackConfigValues returns at the first bad type); we
 * list them all, in that order, so a stack file is fixed in one go. `engineMessage` is what
 * `pulumi preview` would print.
 * Keys Pulumi.yaml does not declare (`daemonConfig`) pass through as the stack wrote them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CONFIG_NAMESPACE } from "../../infra/config/keys";
import type { RawConfig } from "../../infra/config/validate";
import type { ConfigValue } from "./stack-config";

export const PROJECT_FILE = path.join(__dirname, "..", "..", "Pulumi.yaml");

interface DeclaredType {
  type?: string;
  items?: DeclaredType;
}

interface DeclaredKey extends DeclaredType {
  default?: unknown;
  value?: unknown;
}

/**
 * A stack's keys as engineConfig takes them: a ConfigValue from stackConfigFromYaml (what a
 * stack file holds, object flag included), or a bare string as pulumi.Config.get returns it, where
 * JSON of a list or map stands for the object value `pulumi config set --path` would store.
 */
export type StackKeys = Partial<Record<string, string | ConfigValue>>;

/** What an engine problem is about, for tools that word the fix their own way (the roster). */
export type EngineProblemKind =
  | { kind: "missing"; keys: readonly string[]; types: readonly string[] }
  | { kind: "type"; keys: readonly [string]; type: string };

type EngineProblem = EngineProblemKind & {
  /** The engine's own words. */
  message: string;
  fix: string;
};

/** What the engine refuses before the program runs; each problem in the engine's words. */
export class EngineConfigError extends Error {
  constructor(
    /** Every problem, missing keys first, each followed by how to fix it. */
    readonly problems: readonly string[],
    /** The one line the engine prints (it stops at its first problem). */
    readonly engineMessage: string,
    /** The same problems, in the same order, by kind and key. */
    readonly details: readonly EngineProblemKind[] = [],
  ) {
    super(problems.join("\n"));
  }
}

function declaredKeys(projectYaml: string): Record<string, DeclaredKey> {
  const project = parse(projectYaml) as { name?: unknown; config?: unknown };
  if (project.name !== CONFIG_NAMESPACE) {
    throw new Error(`Pulumi.yaml names project ${String(project.name)}, not ${CONFIG_NAMESPACE}`);
  }
  return (project.config ?? {}) as Record<string, DeclaredKey>;
}

/** The engine's text for a default: primitives as Go's %v prints them, the rest as JSON. */
function defaultText(value: unknown): string {
  return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

function asConfigValue(value: string | ConfigValue): ConfigValue {
  if (typeof value !== "string") return value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { text: value, object: false };
  }
  return { text: value, object: typeof parsed === "object" && parsed !== null };
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** strconv.Atoi on a 64-bit platform: optional sign, decimal digits, no spaces, within int64. */
function isAtoiInteger(text: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(text)) return false;
  const value = BigInt(text.startsWith("+") ? text.slice(1) : text);
  return value >= INT64_MIN && value <= INT64_MAX;
}

/** ValidateConfigValue, for a value as it reaches it (text, or parsed JSON of an object value). */
function isOfType(content: unknown, declared: DeclaredType): boolean {
  switch (declared.type) {
    case "string":
      return typeof content === "string";
    case "integer":
      if (typeof content === "number") return Number.isInteger(content);
      return typeof content === "string" && isAtoiInteger(content);
    case "boolean":
      return typeof content === "boolean" || content === "true" || content === "false";
    case "object":
      return typeof content === "object" && content !== null && !Array.isArray(content);
    default: {
      const items = declared.items;
      return (
        Array.isArray(content) &&
        items !== undefined &&
        content.every((item) => isOfType(item, items))
      );
    }
  }
}

function hasDeclaredType(value: ConfigValue, declared: DeclaredKey): boolean {
  if (declared.type === undefined) return true; // not explicitly typed: the engine checks nothing
  const content: unknown = value.object ? JSON.parse(value.text) : value.text;
  return isOfType(content, declared);
}

function typeName(declared: DeclaredType): string {
  return declared.items !== undefined
    ? `array<${typeName(declared.items)}>`
    : String(declared.type);
}

/** How to write a value of the declared type in Pulumi.<stack>.yaml, or with the CLI. */
function typeFix(key: string, declared: DeclaredKey): string {
  switch (declared.type) {
    case "integer":
      return `write a whole number, e.g. \`pulumi config set ${CONFIG_NAMESPACE}:${key} 3\``;
    case "boolean":
      return `write true or false, e.g. \`pulumi config set ${CONFIG_NAMESPACE}:${key} false\``;
    case "array":
      return (
        `write a YAML list (\`${CONFIG_NAMESPACE}:${key}:\` then \`  - VALUE\` lines), not a ` +
        `string, e.g. \`pulumi config set --path '${CONFIG_NAMESPACE}:${key}[0]' VALUE\` ` +
        `or \`pulumi config set --json ${CONFIG_NAMESPACE}:${key} '["VALUE"]'\``
      );
    default:
      return `write a ${typeName(declared)}`;
  }
}

/** A command that sets `key` with a value of its declared type. */
function setExample(key: string, declared: DeclaredKey): string {
  const full = `${CONFIG_NAMESPACE}:${key}`;
  return declared.type === "array"
    ? `\`pulumi config set --path '${full}[0]' VALUE\``
    : `\`pulumi config set ${full} VALUE\``;
}

function missingMessage(stackName: string, keys: string[]): string {
  const quoted = [...keys].sort().map((key) => `'${key}'`);
  const list =
    quoted.length === 1
      ? quoted[0]
      : `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
  return `Stack '${stackName}' is missing configuration value${keys.length === 1 ? "" : "s"} ${list}`;
}

/**
 * The raw config the program sees for `stackKeys` (a stack's `swarmlab:` keys, e.g. from
 * stackConfigFromYaml). Throws EngineConfigError where the engine would stop before running the
 * program, listing every problem.
 */
export function engineConfig(
  stackName: string,
  stackKeys: StackKeys | RawConfig,
  projectYaml: string = fs.readFileSync(PROJECT_FILE, "utf8"),
): RawConfig {
  const declared = declaredKeys(projectYaml);
  const given = stackKeys as StackKeys;
  const merged: Record<string, string> = {};
  const missing: string[] = [];
  const typeProblems: EngineProblem[] = [];
  for (const key of Object.keys(declared).sort()) {
    const spec = declared[key] ?? {};
    const value = given[key];
    if (value !== undefined) {
      if (!hasDeclaredType(asConfigValue(value), spec)) {
        typeProblems.push({
          kind: "type",
          keys: [key],
          type: typeName(spec),
          message:
            `Stack '${stackName}' with configuration key '${key}' must be of type ` +
            `'${typeName(spec)}'`,
          fix: typeFix(key, spec),
        });
      }
    } else if (spec.default !== undefined && spec.default !== null) {
      merged[key] = defaultText(spec.default);
    } else if (spec.value !== undefined && spec.value !== null) {
      merged[key] = defaultText(spec.value);
    } else {
      missing.push(key);
    }
  }
  const problems: EngineProblem[] = [
    ...(missing.length > 0
      ? [
          {
            kind: "missing" as const,
            keys: [...missing].sort(),
            types: [...missing].sort().map((key) => typeName(declared[key] ?? {})),
            message: missingMessage(stackName, missing),
            fix:
              `set ${missing.length === 1 ? "it" : "them"} in Pulumi.${stackName}.yaml (see ` +
              `Pulumi.example.yaml), e.g. ${[...missing]
                .sort()
                .map((key) => setExample(key, declared[key] ?? {}))
                .join(", ")}`,
          },
        ]
      : []),
    ...typeProblems,
  ];
  const first = problems[0];
  if (first !== undefined) {
    throw new EngineConfigError(
      problems.map((p) => `${p.message}: ${p.fix}`),
      first.message,
      problems.map((p): EngineProblemKind =>
        p.kind === "type"
          ? { kind: "type", keys: p.keys, type: p.type }
          : { kind: "missing", keys: p.keys, types: p.types },
      ),
    );
  }
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined) merged[key] = typeof value === "string" ? value : value.text;
  }
  return merged as RawConfig;
}
