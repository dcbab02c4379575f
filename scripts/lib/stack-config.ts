/**
 * Reads a `Pulumi.<stack>.yaml` without the Pulumi CLI: the `swarmlab:` keys as the raw strings
 * `pulumi.Config.get` would return (structured values as JSON), ready for parseLabConfig.
 */
import { parse } from "yaml";
import { CONFIG_NAMESPACE } from "../../infra/config/config";
import type { RawConfig } from "../../infra/config/validate";

export function rawConfigFromStackYaml(text: string, source: string): RawConfig {
  const document: unknown = parse(text);
  const config =
    typeof document === "object" && document !== null
      ? (document as { config?: unknown }).config
      : undefined;
  if (config === undefined) return {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new Error(`${source}: "config" must be a map of keys like swarmlab:workers`);
  }
  const raw: Record<string, string> = {};
  for (const [fullKey, value] of Object.entries(config)) {
    const [namespace, key] = fullKey.split(":", 2);
    if (namespace !== CONFIG_NAMESPACE || key === undefined) continue;
    if (typeof value === "object" && value !== null && "secure" in value) {
      throw new Error(`${source}: ${fullKey} is a secret; swarmlab has no secret settings`);
    }
    raw[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return raw as RawConfig;
}
