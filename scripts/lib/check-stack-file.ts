/**
 * A `Pulumi.<stack>.yaml` checked as `pulumi preview` would check it: first the engine (declared
 * types, missing keys: engine-config.ts), then the program's own validation (parseLabConfig).
 * For the class tool, which checks stack files before it runs Pulumi over a whole class.
 */
import type { LabConfig } from "../../infra/config/config";
import { CONFIG_NAMESPACE } from "../../infra/config/keys";
import { parseLabConfig } from "../../infra/config/validate";
import { labStackChecks } from "../../infra/stacks/validate-stacks";
import { engineConfig, EngineConfigError } from "./engine-config";
import { StackFileError, stackConfigFromYaml } from "./stack-config";

export type StackFileCheck =
  { ok: true; config: LabConfig; warnings: string[] } | { ok: false; problems: string[] };

export function checkStackFile(text: string, source: string, stackName: string): StackFileCheck {
  let raw;
  try {
    raw = engineConfig(stackName, stackConfigFromYaml(text, source));
  } catch (error) {
    if (error instanceof StackFileError) return { ok: false, problems: [error.message] };
    if (!(error instanceof EngineConfigError)) throw error;
    return { ok: false, problems: [...error.problems] };
  }
  const parsed = parseLabConfig(raw, stackName, labStackChecks);
  if (!parsed.ok) {
    return {
      ok: false,
      problems: parsed.problems.map((p) => `${CONFIG_NAMESPACE}:${p.key}: ${p.reason}`),
    };
  }
  return { ok: true, config: parsed.config, warnings: parsed.warnings };
}
