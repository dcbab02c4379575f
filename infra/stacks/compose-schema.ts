/**
 * Checks an interpolated compose file against the schema `docker stack deploy` itself validates
 * with: the docker CLI's config_schema_v3.<minor>.json for the file's `version:` (3.13 when it
 * names none, or "3"), kept unchanged in ./schema/ from docker/cli (cli/compose/schema/data, the
 * same files docker CLI 28 embeds). Before it, docker's list of forbidden service keys. The newer
 * compose-spec schema is not what swarm deploys read: it takes `depends_on` conditions, which
 * `docker stack deploy` refuses.
 */
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import * as fs from "fs";
import * as path from "path";
import { parseShortPort } from "./ports";

const DEFAULT_VERSION = "3.13";
const SCHEMA_DIR = path.join(__dirname, "schema");

/** types.ForbiddenProperties of the docker CLI: keys of a service it refuses, and why. */
const FORBIDDEN: Readonly<Record<string, string>> = {
  extends: "Support for `extends` is not implemented yet.",
  volume_driver:
    "Instead of setting the volume driver on the service, define a volume using the top-level `volumes` option and specify the driver there.",
  volumes_from:
    "To share a volume between services, define it using the top-level `volumes` option and reference it from each service that shares it using the service-level `volumes` option.",
  cpu_quota: "Set resource limits using deploy.resources",
  cpu_shares: "Set resource limits using deploy.resources",
  cpuset: "Set resource limits using deploy.resources",
  mem_limit: "Set resource limits using deploy.resources",
  memswap_limit: "Set resource limits using deploy.resources",
};

/** Go durations ("10s", "1m30s", "500ms"), as time.ParseDuration takes them. */
const DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$|^[-+]?0$/;

const compiled = new Map<string, ValidateFunction>();

/** The schema without draft-04 `id`s and `$schema`, which ajv (draft-07) refuses or cannot fetch. */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (typeof node !== "object" || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !((key === "id" && typeof value === "string") || key === "$schema"))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

/** The versions docker has a schema for: "3.0" ... "3.13". */
export function schemaVersions(): string[] {
  return fs
    .readdirSync(SCHEMA_DIR)
    .map((file) => /^config_schema_v(3\.\d+)\.json$/.exec(file)?.[1])
    .filter((v): v is string => v !== undefined);
}

function validator(version: string): ValidateFunction {
  const known = compiled.get(version);
  if (known) return known;
  const text = fs.readFileSync(path.join(SCHEMA_DIR, `config_schema_v${version}.json`), "utf8");
  // gojsonschema passes a format it does not know ("expose", "subnet_ip_address"); so does this.
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  for (const format of ["expose", "subnet_ip_address"]) ajv.addFormat(format, true);
  ajv.addFormat("duration", DURATION);
  ajv.addFormat("ports", {
    type: "string",
    validate: (spec: string) => {
      try {
        parseShortPort(spec);
        return true;
      } catch {
        return false;
      }
    },
  });
  const validate = ajv.compile(withoutDraft4Ids(JSON.parse(text)) as Record<string, unknown>);
  compiled.set(version, validate);
  return validate;
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
    return `${where}: unknown key "${key}" (docker stack deploy refuses it)`;
  }
  if (error.keyword === "type") {
    // docker's words (schema.go humanReadableType): a list, a mapping.
    const words: Record<string, string> = { array: "list", object: "mapping" };
    const types = String((error.params as { type: string | string[] }).type).split(",");
    const wanted = types.map((t) => words[t] ?? t).join(" or ");
    return `${where}: must be a ${wanted} (docker stack deploy refuses it)`;
  }
  return `${where}: ${error.message ?? error.keyword} (docker stack deploy refuses it)`;
}

/** The schema version docker picks for `document`, as schema.Version does. */
export function composeVersion(document: Record<string, unknown>): string {
  const version = document.version;
  if (version === undefined || version === "" || String(version) === "3") return DEFAULT_VERSION;
  return String(version);
}

/**
 * Problems docker's validation finds in `document` (already interpolated), one sentence each,
 * without the noise ajv adds for `oneOf` (each branch's failure).
 */
export function schemaProblems(document: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const services = document.services;
  if (typeof services === "object" && services !== null) {
    for (const [name, service] of Object.entries(services)) {
      for (const key of Object.keys((service ?? {}) as object)) {
        if (key in FORBIDDEN) {
          problems.push(
            `services.${name}.${key}: docker stack deploy refuses it. ${FORBIDDEN[key]}`,
          );
        }
      }
    }
  }
  // docker stops at forbidden keys, before its schema (loader.go validateForbidden).
  if (problems.length > 0) return problems;
  const version = composeVersion(document);
  if (!schemaVersions().includes(version)) {
    return [
      ...problems,
      `version: ${JSON.stringify(version)} is not a compose file version docker stack deploy takes (3.0 to ${DEFAULT_VERSION}); write "3.8" or remove the key`,
    ];
  }
  const validate = validator(version);
  if (validate(document)) return problems;
  const errors = validate.errors ?? [];
  const oneOfPlaces = new Set(
    errors.filter((e) => e.keyword === "oneOf").map((e) => e.instancePath),
  );
  const kept = errors.filter(
    (e) =>
      e.keyword === "oneOf" ||
      ![...oneOfPlaces].some((p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`)),
  );
  return [...problems, ...new Set(kept.map(sentence))];
}
