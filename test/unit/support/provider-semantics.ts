/**
 * What the engine and the OpenStack provider would do with a change of one resource's inputs,
 * from the table read off the provider's schema (infra/config/openstack-schema.ts) and the
 * resource options the program sent. Under mocks nothing is ever replaced or updated; tests ask
 * this instead.
 *
 * The rules: the provider (a Terraform bridge) diffs the new inputs against its state; an
 * Optional+Computed argument left out keeps the state's value, as does one in ignoreChanges; a changed ForceNew argument, or one
 * listed in replaceOnChanges, or a changed replacementTrigger (engine v3.208.0,
 * pkg/resource/deploy/step_generator.go) makes a replace; any other change an update in place.
 */
import { argumentFact } from "../../../infra/config/openstack-schema";

export type EngineStep = "same" | "update" | "replace";

export interface StepOptions {
  replaceOnChanges?: readonly string[];
  /** The engine keeps the state's value of these (top-level) arguments on an update. */
  ignoreChanges?: readonly string[];
  /** The trigger recorded in state and the one this run sends. */
  trigger?: { old: unknown; new: unknown };
}

export interface StepPlan {
  step: EngineStep;
  changed: string[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function engineStep(
  type: string,
  state: Record<string, unknown>,
  inputs: Record<string, unknown>,
  options: StepOptions = {},
): StepPlan {
  const keys = [...new Set([...Object.keys(state), ...Object.keys(inputs)])].sort();
  const changed = keys.filter((key) => {
    if (same(state[key], inputs[key])) return false;
    if ((options.ignoreChanges ?? []).includes(key)) return false;
    const fact = argumentFact(type, key);
    if (fact === undefined) {
      throw new Error(`${type}.${key} changed but openstack-schema.ts does not list it`);
    }
    if (fact.effect === "computed") return false;
    return !(inputs[key] === undefined && fact.keptWhenUnset);
  });
  const triggered =
    options.trigger !== undefined &&
    options.trigger.old !== undefined &&
    !same(options.trigger.old, options.trigger.new);
  const replacing = changed.some(
    (key) =>
      argumentFact(type, key)?.effect === "replace" ||
      (options.replaceOnChanges ?? []).includes(key),
  );
  if (replacing || triggered) return { step: "replace", changed };
  return { step: changed.length > 0 ? "update" : "same", changed };
}
