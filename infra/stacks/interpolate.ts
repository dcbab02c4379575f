/**
 * Variable substitution as the docker CLI's compose loader does it (cli/compose/template and
 * cli/compose/loader/interpolate.go): in every string value (keys are left alone), `$$` is a
 * literal `$`, `$NAME` and `${NAME}` are the variable, `${NAME:-default}` the default when it is
 * unset or empty, `${NAME-default}` when it is unset, `${NAME:?message}` / `${NAME?message}` an
 * error when it is unset (or empty). A string that changed is then cast to the type of a few
 * known fields (replicas, published ports, secret modes, ...), as docker casts it.
 *
 * Where `docker stack deploy` looks variables up in the environment of the shell that runs it,
 * swarmlab looks them up in its own values only (the registry, a build's tag, the overlay MTU):
 * the manager's SSH session is not the teacher's shell.
 */

/** docker's pattern: `$$`, `$name`, `${name...}`, or a lone `$` (an invalid template). */
const PATTERN =
  /\$(?:(\$)|([_a-z][_a-z0-9]*(?::?[-?][^}]*)?)|\{([_a-z][_a-z0-9]*(?::?[-?][^}]*)?)\}|)/gi;

export type Lookup = (name: string) => string | undefined;

/** A variable a string uses, and whether it has a default (so needs no value). */
export interface VariableUse {
  name: string;
  hasDefault: boolean;
}

function cut(text: string, separator: string): [string, string] | undefined {
  const at = text.indexOf(separator);
  return at < 0 ? undefined : [text.slice(0, at), text.slice(at + separator.length)];
}

/** What `${inner}` stands for; throws docker's message for a missing required value. */
function substitute(inner: string, lookup: Lookup): string {
  // The same order as docker's DefaultSubstituteFuncs: the first separator present decides.
  const soft = cut(inner, ":-");
  if (soft) {
    const value = lookup(soft[0]);
    return value === undefined || value === "" ? soft[1] : value;
  }
  const hard = cut(inner, "-");
  if (hard) return lookup(hard[0]) ?? hard[1];
  for (const [separator, allowEmpty] of [
    [":?", false],
    ["?", true],
  ] as const) {
    const required = cut(inner, separator);
    if (!required) continue;
    const value = lookup(required[0]);
    if (value === undefined || (!allowEmpty && value === "")) {
      throw new Error(`required variable ${required[0]} is missing a value: ${required[1]}`);
    }
    return value;
  }
  return lookup(inner) ?? "";
}

/** Substitutes the variables of one string; throws for an invalid template or a missing value. */
export function substituteString(text: string, lookup: Lookup): string {
  return text.replace(
    PATTERN,
    (_whole: string, escaped?: string, named?: string, braced?: string) => {
      if (escaped !== undefined) return "$";
      const inner = named ?? braced;
      if (inner === undefined)
        throw new Error(`invalid interpolation format in ${JSON.stringify(text)}`);
      return substitute(inner, lookup);
    },
  );
}

/** The variables a string names (not `$$`), and whether each has a default or a message. */
export function variablesOf(text: string): VariableUse[] {
  const uses: VariableUse[] = [];
  for (const match of text.matchAll(PATTERN)) {
    const inner = match[2] ?? match[3];
    if (inner === undefined) continue;
    const name = /^[_a-z][_a-z0-9]*/i.exec(inner)?.[0] ?? inner;
    // `?` has no default: docker stops with its message when the variable is unset.
    uses.push({ name, hasDefault: /^[_a-z0-9]*:?-/i.test(inner) });
  }
  return uses;
}

type Cast = (value: string) => unknown;

const toInt: Cast = (value) => {
  if (!/^[-+]?[0-9]+$/.test(value)) throw new Error(`failed to cast to expected type: ${value}`);
  return Number(value);
};
const toFloat: Cast = (value) => {
  const number = Number(value);
  if (value.trim() === "" || Number.isNaN(number)) {
    throw new Error(`failed to cast to expected type: ${value}`);
  }
  return number;
};
const toBoolean: Cast = (value) => {
  const lower = value.toLowerCase();
  if (["y", "yes", "true", "on"].includes(lower)) return true;
  if (["n", "no", "false", "off"].includes(lower)) return false;
  throw new Error(`failed to cast to expected type: invalid boolean: ${value}`);
};

/** docker's interpolateTypeCastMapping; "*" is any key, "[]" any list item. */
const CASTS: [string, Cast][] = [
  ["services.*.configs.[].mode", toInt],
  ["services.*.secrets.[].mode", toInt],
  ["services.*.healthcheck.retries", toInt],
  ["services.*.healthcheck.disable", toBoolean],
  ["services.*.deploy.replicas", toInt],
  ["services.*.deploy.update_config.parallelism", toInt],
  ["services.*.deploy.update_config.max_failure_ratio", toFloat],
  ["services.*.deploy.rollback_config.parallelism", toInt],
  ["services.*.deploy.rollback_config.max_failure_ratio", toFloat],
  ["services.*.deploy.restart_policy.max_attempts", toInt],
  ["services.*.deploy.placement.max_replicas_per_node", toInt],
  ["services.*.ports.[].target", toInt],
  ["services.*.ports.[].published", toInt],
  ["services.*.ulimits.*", toInt],
  ["services.*.ulimits.*.hard", toInt],
  ["services.*.ulimits.*.soft", toInt],
  ["services.*.privileged", toBoolean],
  ["services.*.oom_score_adj", toInt],
  ["services.*.read_only", toBoolean],
  ["services.*.stdin_open", toBoolean],
  ["services.*.tty", toBoolean],
  ["services.*.volumes.[].read_only", toBoolean],
  ["services.*.volumes.[].volume.nocopy", toBoolean],
  ["networks.*.external", toBoolean],
  ["networks.*.internal", toBoolean],
  ["networks.*.attachable", toBoolean],
  ["volumes.*.external", toBoolean],
  ["secrets.*.external", toBoolean],
  ["configs.*.external", toBoolean],
];

function castFor(path: readonly string[]): Cast | undefined {
  const found = CASTS.find(([pattern]) => {
    const parts = pattern.split(".");
    return (
      parts.length === path.length &&
      parts.every(
        (part, i) => part === "*" || part === path[i] || (part === "[]" && path[i] === "[]"),
      )
    );
  });
  return found?.[1];
}

/**
 * `node` with every string substituted (and cast where docker casts it). Errors name the path of
 * the value, as docker's do; they are collected, not thrown, so a file's problems come at once.
 */
export function interpolate(
  node: unknown,
  lookup: Lookup,
  problems: string[] = [],
  path: string[] = [],
): unknown {
  if (typeof node === "string") {
    let value: string;
    try {
      value = substituteString(node, lookup);
    } catch (error) {
      problems.push(`${path.join(".")}: ${(error as Error).message}`);
      return node;
    }
    const cast = value === node ? undefined : castFor(path);
    if (!cast) return value;
    try {
      return cast(value);
    } catch (error) {
      problems.push(`${path.join(".")}: ${(error as Error).message}`);
      return value;
    }
  }
  if (Array.isArray(node)) {
    return node.map((item) => interpolate(item, lookup, problems, [...path, "[]"]));
  }
  if (typeof node === "object" && node !== null) {
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [
        key,
        interpolate(value, lookup, problems, [...path, key]),
      ]),
    );
  }
  return node;
}

/** Every string of `node` with `$` written `$$`: docker's interpolation gives back the same. */
export function escapeDollars(node: unknown): unknown {
  if (typeof node === "string") return node.replace(/\$/g, "$$$$");
  if (Array.isArray(node)) return node.map(escapeDollars);
  if (typeof node === "object" && node !== null) {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, escapeDollars(v)]));
  }
  return node;
}
