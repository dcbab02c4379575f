/**
 * One student's stack file checked as `pulumi preview` would check it (the engine's declared
 * types and required keys first, then the program's own validation), with every problem tied to
 * the `swarmlab` key it is about and its fix worded for class.yaml. The teacher edits the roster
 * and `class init` writes the stack files from it, so "`pulumi config set …`" would send them to
 * a file that the next `init` rewrites; the roster decides whether the key lives in `class:` or
 * in the student's entry.
 */
import type { LabConfig } from "../../infra/config/config";
import type { LocalHost } from "../../infra/config/local-cloud";
import { parseLabConfig } from "../../infra/config/validate";
import { labStackChecks } from "../../infra/stacks/validate-stacks";
import { engineConfig, EngineConfigError, type EngineProblemKind } from "../lib/engine-config";
import { StackFileError, stackConfigFromYaml } from "../lib/stack-config";

export interface KeyedProblem {
  /** The `swarmlab` key the problem is about; undefined when it names none. */
  readonly key?: string;
  /** What is wrong and how to fix it, in class.yaml's terms; the caller says where. */
  readonly reason: string;
}

export type StudentCheck =
  { ok: true; warnings: string[]; config: LabConfig } | { ok: false; problems: KeyedProblem[] };

/** How a value of a declared type is written in class.yaml. */
function yamlExample(key: string, type: string): string {
  if (type === "integer") return `\`${key}: 3\``;
  if (type === "boolean") return `\`${key}: false\``;
  if (type === "object") return `\`${key}: { … }\` (a map)`;
  if (type.startsWith("array")) return `\`${key}: [VALUE]\` (a YAML list, not a string)`;
  return `\`${key}: VALUE\``;
}

function engineProblems(details: readonly EngineProblemKind[], given: Record<string, unknown>) {
  const problems: KeyedProblem[] = [];
  for (const detail of details) {
    if (detail.kind === "missing") {
      detail.keys.forEach((key, i) =>
        problems.push({
          key,
          reason:
            "is not set, and Pulumi.yaml declares no default for it, so the engine refuses the " +
            `stack before swarmlab runs: add e.g. ${yamlExample(key, detail.types[i] ?? "")}`,
        }),
      );
    } else {
      const [key] = detail.keys;
      problems.push({
        key,
        reason:
          `is ${JSON.stringify(given[key])}: Pulumi.yaml declares it of type '${detail.type}', ` +
          `so the engine refuses the stack: write e.g. ${yamlExample(key, detail.type)}`,
      });
    }
  }
  return problems;
}

/** Splits the arguments of a shell command line, keeping single-quoted words whole. */
function words(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? "");
}

const COMMAND = /(,? then |,? or |,? and )?`pulumi config (set|rm) ([^`]*)`/g;

/**
 * The program's fixes name `pulumi config set swarmlab:KEY VALUE` (for one stack file); in a
 * roster the same value is a YAML key. `--path 'swarmlab:stacks[0]' hostname`, then `[1] counter`
 * become one list, `stacks: [hostname, counter]`. Secret values stay a CLI command: a roster
 * holds no secrets.
 */
export function rosterWording(reason: string): string {
  const lists = new Map<string, string[]>();
  for (const match of reason.matchAll(COMMAND)) {
    const args = words(match[3] ?? "");
    const path = /^(?:swarmlab:)?([A-Za-z]+)\[(\d+)\]$/.exec(args[1] ?? "");
    if (match[2] === "set" && args[0] === "--path" && path?.[1] !== undefined) {
      const items = lists.get(path[1]) ?? [];
      items[Number(path[2])] = args.slice(2).join(" ");
      lists.set(path[1], items);
    }
  }
  const written = new Set<string>();
  return reason
    .replace(COMMAND, (whole, connector: string | undefined, verb: string, rest: string) => {
      const args = words(rest);
      if (args.includes("--secret")) return whole;
      const lead = connector ?? "";
      if (verb === "rm") {
        return `${lead}remove \`${(args[0] ?? "").replace(/^swarmlab:/, "")}\``;
      }
      if (args[0] === "--path") {
        const key = /^(?:swarmlab:)?([A-Za-z]+)\[/.exec(args[1] ?? "")?.[1];
        if (key === undefined) return whole;
        if (written.has(key)) return "";
        written.add(key);
        return `${lead}\`${key}: [${(lists.get(key) ?? []).filter((v) => v !== undefined).join(", ")}]\``;
      }
      const plain = args[0] === "--json" ? args.slice(1) : args;
      const key = (plain[0] ?? "").replace(/^swarmlab:/, "");
      return `${lead}\`${key}: ${plain.slice(1).join(" ")}\``;
    })
    .replace(/Pulumi\.(<stack>|[a-z][a-z0-9-]*)\.yaml/g, "class.yaml");
}

/**
 * Checks the stack file `class init` would write for a student. `given` is the student's merged
 * `swarmlab` settings (key -> value as class.yaml holds it), quoted in type problems. `host` is
 * the machine the local cloud would run on (parseLabConfig's default: this one).
 */
export function checkStudentConfig(
  stackFileText: string,
  source: string,
  id: string,
  given: Record<string, unknown>,
  host?: LocalHost,
): StudentCheck {
  let raw;
  try {
    raw = engineConfig(id, stackConfigFromYaml(stackFileText, source));
  } catch (error) {
    if (error instanceof StackFileError)
      return { ok: false, problems: [{ reason: error.message }] };
    if (!(error instanceof EngineConfigError)) throw error;
    return { ok: false, problems: engineProblems(error.details, given) };
  }
  const parsed = parseLabConfig(raw, id, labStackChecks, host);
  if (!parsed.ok) {
    return {
      ok: false,
      problems: parsed.problems.map((p) => ({ key: p.key, reason: rosterWording(p.reason) })),
    };
  }
  return { ok: true, warnings: parsed.warnings, config: parsed.config };
}
