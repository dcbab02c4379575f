/**
 * Reads a `Pulumi.<stack>.yaml` without the Pulumi CLI, keeping what the engine keeps of each
 * `swarmlab:` value: its text and whether it was a YAML list or map (an "object" value).
 *
 * The engine stores a stack value as config.Value (pulumi/pulumi
 * sdk/go/common/resource/config/object.go, `MarshalString`): a YAML string as its text, a YAML
 * bool or number as its JSON text ("true", "3") and NOT an object, a list or map as JSON text
 * flagged object. Type checks depend on that flag: `allowedCidrs: '["10.0.0.0/8"]'` (a string
 * that looks like a list) is refused for `type: array`, `allowedCidrs: [10.0.0.0/8]` is not.
 * Stack files are read with gopkg.in/yaml.v3 (sdk/go/common/workspace/loaders.go), a YAML 1.2
 * reader like the `yaml` package's default core schema used here.
 */
import { parseDocument } from "yaml";
import { CONFIG_NAMESPACE } from "../../infra/config/keys";
import type { RawConfig } from "../../infra/config/validate";

/** One stack value as the engine holds it (config.Value: text + object flag). */
export interface ConfigValue {
  readonly text: string;
  /** A YAML list or map: `text` is its JSON. */
  readonly object: boolean;
}

/** A stack's `swarmlab:` keys (without the namespace) as the engine holds them. */
export type StackConfig = Record<string, ConfigValue>;

function configValue(value: unknown): ConfigValue {
  if (typeof value === "string") return { text: value, object: false };
  if (typeof value === "number" || typeof value === "boolean") {
    return { text: JSON.stringify(value), object: false };
  }
  return { text: JSON.stringify(value ?? null), object: true };
}

/** A stack file that cannot be read as the engine reads it: one line, naming the file and place. */
export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackFileError";
  }
}

export function stackConfigFromYaml(text: string, source: string): StackConfig {
  const parsed = parseDocument(text);
  const [first] = parsed.errors;
  if (first !== undefined) {
    const at = first.linePos?.[0];
    const message = first.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    throw new StackFileError(
      `${source}${at ? `:${at.line}:${at.col}` : ""}: ${message} (the engine refuses it too; ` +
        "fix the YAML)",
    );
  }
  const document: unknown = parsed.toJS();
  const config =
    typeof document === "object" && document !== null
      ? (document as { config?: unknown }).config
      : undefined;
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config)) {
    throw new StackFileError(`${source}: "config" must be a map of keys like swarmlab:workers`);
  }
  const values: StackConfig = {};
  for (const [fullKey, value] of Object.entries(config)) {
    const [namespace, key] = fullKey.split(":", 2);
    if (namespace !== CONFIG_NAMESPACE || key === undefined) continue;
    if (typeof value === "object" && value !== null && "secure" in value) {
      // Only stackExternals holds secrets, inside its map (secrets.NAME.value); a whole setting
      // cannot be one, and the offline checks could not decrypt it anyway.
      throw new StackFileError(
        `${source}: ${fullKey} is a secret (secure:), but no swarmlab setting is secret as a ` +
          "whole (only values inside stackExternals.secrets are): set it in plain text, or " +
          "remove it",
      );
    }
    values[key] = configValue(value);
  }
  return values;
}

/** The texts pulumi.Config.get returns for a stack config (lists and maps as JSON). */
export function configTexts(values: StackConfig): RawConfig {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, value.text]),
  ) as RawConfig;
}

/**
 * The `swarmlab:` keys of a stack file as the raw strings `pulumi.Config.get` would return
 * (structured values as JSON), ready for parseLabConfig. Type checks need stackConfigFromYaml.
 */
export function rawConfigFromStackYaml(text: string, source: string): RawConfig {
  return configTexts(stackConfigFromYaml(text, source));
}
