/**
 * The `swarmlab:` config the program reads, made the way the Pulumi engine makes it: the stack's
 * keys over the defaults Pulumi.yaml declares. Without this, tests and the offline render fed the
 * program only the stack's keys, and a declared default that breaks validation (issue 15:
 * `dockerVolumeFilesystem: ext4` under btrfs) passed every test and failed every real stack.
 *
 * Mirrors the engine's mergeConfig (pulumi/pulumi pkg/workspace/config.go) without the CLI:
 * - a declared key the stack does not set takes its default: strings, integers and booleans as
 *   their text ("1", "false", ""), anything else JSON-encoded ("[]"), as pulumi.Config.get
 *   returns them;
 * - a declared key without a default that the stack does not set fails the update, before the
 *   program runs ("Stack 'alice' is missing configuration value 'allowedCidrs'");
 * - a stack value of the wrong declared type fails it too ("... must be of type 'integer'").
 * Keys Pulumi.yaml does not declare (`daemonConfig`) pass through as the stack wrote them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CONFIG_NAMESPACE } from "../../infra/config/config";
import type { RawConfig } from "../../infra/config/validate";

export const PROJECT_FILE = path.join(__dirname, "..", "..", "Pulumi.yaml");

interface DeclaredKey {
  type?: string;
  items?: { type?: string };
  default?: unknown;
}

/** What the engine refuses before the program runs; the message is the engine's. */
export class EngineConfigError extends Error {}

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

function hasDeclaredType(text: string, declared: DeclaredKey): boolean {
  switch (declared.type) {
    case "integer":
      return /^-?\d+$/.test(text.trim());
    case "boolean":
      return /^(1|0|t|f|true|false)$/i.test(text.trim());
    case "array": {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return false;
      }
      return (
        Array.isArray(value) &&
        (declared.items?.type !== "string" || value.every((item) => typeof item === "string"))
      );
    }
    default:
      return true;
  }
}

function typeName(declared: DeclaredKey): string {
  return declared.type === "array" ? `array<${declared.items?.type ?? "any"}>` : `${declared.type}`;
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
 * The raw config the program sees for `stackKeys` (a stack's `swarmlab:` keys as the strings
 * pulumi.Config.get returns, e.g. from rawConfigFromStackYaml). Throws EngineConfigError where
 * the engine would stop before running the program.
 */
export function engineConfig(
  stackName: string,
  stackKeys: RawConfig,
  projectYaml: string = fs.readFileSync(PROJECT_FILE, "utf8"),
): RawConfig {
  const declared = declaredKeys(projectYaml);
  const merged: Record<string, string> = {};
  const missing: string[] = [];
  for (const key of Object.keys(declared).sort()) {
    const spec = declared[key] ?? {};
    const value = stackKeys[key as keyof RawConfig];
    if (value !== undefined) {
      if (!hasDeclaredType(value, spec)) {
        throw new EngineConfigError(
          `Stack '${stackName}' with configuration key '${key}' must be of type '${typeName(spec)}'`,
        );
      }
    } else if (spec.default !== undefined && spec.default !== null) {
      merged[key] = defaultText(spec.default);
    } else {
      missing.push(key);
    }
  }
  if (missing.length > 0) throw new EngineConfigError(missingMessage(stackName, missing));
  for (const [key, value] of Object.entries(stackKeys)) {
    if (value !== undefined) merged[key] = value;
  }
  return merged as RawConfig;
}
