/**
 * YAML as `docker stack deploy` reads it. The docker CLI (28) parses compose files with
 * go.yaml.in/yaml/v3, which is neither plain YAML 1.1 nor plain 1.2: booleans and null are 1.2's
 * (`yes`, `on` stay strings), merge keys (`<<: *defaults`) are applied, and integers are whatever
 * Go's strconv.ParseInt(s, 0, 64) takes once underscores are removed, so the 1.1 octal `0400` is
 * 256, as are `0o400` and `0x100`, and `1_000` is 1000 (vendor/go.yaml.in/yaml/v3/resolve.go).
 * The `yaml` package reads and writes with the 1.2 core schema plus that one integer rule, so the
 * text swarmlab sends quotes every string docker would otherwise read as a number.
 */
import { Document, parseDocument, ScalarTag, SchemaOptions, stringify } from "yaml";

/**
 * An integer to yaml.v3: a sign or digit first; underscores anywhere after it are dropped; then
 * hex, 0o octal, binary, 1.1 octal (a leading 0) or decimal. A leading 0 followed by 8 or 9 is
 * not an integer to Go but the same number as a float, so reading it as decimal gives its value.
 */
const GO_INT =
  /^[-+]?(?:0[xX][_0-9a-fA-F]*[0-9a-fA-F][_0-9a-fA-F]*|0[oO][_0-7]*[0-7][_0-7]*|0[bB][_01]*[01][_01]*|[0-9][_0-9]*)$/;

function goInt(text: string): number {
  const plain = text.replace(/_/g, "");
  const sign = plain.startsWith("-") ? -1 : 1;
  const digits = plain.replace(/^[-+]/, "");
  const prefixed: Record<string, number> = { x: 16, o: 8, b: 2 };
  const base = prefixed[digits.charAt(1).toLowerCase()];
  if (digits.startsWith("0") && base !== undefined) return sign * parseInt(digits.slice(2), base);
  if (/^0[0-7]+$/.test(digits)) return sign * parseInt(digits.slice(1), 8);
  return sign * parseInt(digits, 10);
}

/** The integer tag docker's parser in effect has; it replaces the core schema's int tags. */
const dockerInt: ScalarTag = {
  tag: "tag:yaml.org,2002:int",
  default: true,
  identify: (value) => typeof value === "number" && Number.isInteger(value),
  test: GO_INT,
  resolve: goInt,
  stringify: ({ value }) => String(value),
};

const OPTIONS: SchemaOptions = {
  merge: true,
  schema: "core",
  customTags: (tags) => [
    dockerInt,
    ...tags.filter((t) => typeof t === "string" || t.tag !== "tag:yaml.org,2002:int"),
  ],
};

export interface ParsedYaml {
  document: Document.Parsed;
  errors: string[];
}

/** Parses compose text by docker's rules; errors are one line each. */
export function parseComposeYaml(text: string): ParsedYaml {
  const document = parseDocument(text, { ...OPTIONS, prettyErrors: true, uniqueKeys: true });
  return { document, errors: document.errors.map((e) => e.message.split("\n")[0]) };
}

/** Writes `value` so that docker's parser reads back the same strings, numbers and booleans. */
export function stringifyCompose(value: unknown): string {
  return stringify(value, { ...OPTIONS, lineWidth: 0 });
}
