/**
 * What `pulumi config set --path 'swarmlab:KEY[i]' VALUE` does to a stack's config, for the one
 * form our docs use (a top-level list and one index). The CLI cannot run here, so this stands for
 * it, following pulumi/pulumi sdk/go/common/resource/config:
 * - map.go `Map.Set`: a key the stack does not hold starts as `newContainer(index)` (object.go),
 *   a list of index+1 empty (null) items; Pulumi.yaml's default is NOT consulted (the CLI loads
 *   the stack file alone: pkg/cmd/pulumi/config/config.go, configSetCmd.Run);
 * - object.go `object.Set`: an index past the end of an existing list fails with
 *   "KEY[i]: array index out of range"; index == length appends;
 * - value.go `coerceObject` / object.go `coerce`: with --path, "true"/"false" are stored as
 *   booleans and decimal integers (without a leading 0) as numbers, anything else as a string.
 */
import type { ConfigValue, StackConfig } from "../../../scripts/lib/stack-config";

function coerce(value: string): unknown {
  if (value === "true" || value === "false") return value === "true";
  if (value.length > 1 && value.startsWith("0")) return value;
  return /^[+-]?[0-9]+$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : value;
}

export function configSetPath(config: StackConfig, path: string, value: string): StackConfig {
  const match = /^swarmlab:([A-Za-z]+)\[([0-9]+)\]$/.exec(path);
  if (match === null) throw new Error(`model handles only 'swarmlab:KEY[i]', not ${path}`);
  const [, key = "", indexText = ""] = match;
  const index = Number(indexText);
  const current: ConfigValue | undefined = config[key];
  let list: unknown[];
  if (current === undefined) {
    list = new Array<unknown>(index + 1).fill(null);
  } else {
    const parsed: unknown = current.object ? JSON.parse(current.text) : undefined;
    // COMPAT in object.Set: a top-level non-list value is replaced by a new list.
    list = Array.isArray(parsed)
      ? [...(parsed as unknown[])]
      : new Array<unknown>(index + 1).fill(null);
  }
  if (index > list.length) throw new Error(`${key}[${index}]: array index out of range`);
  list[index] = coerce(value);
  return { ...config, [key]: { text: JSON.stringify(list), object: true } };
}
