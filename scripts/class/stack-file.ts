/**
 * Renders a student's `Pulumi.<id>.yaml` from the roster without losing what people set there by
 * hand. What `class init` last wrote is recorded (see init.ts); a key whose value still equals
 * that record is the roster's and follows it, any other value was set by hand and is kept.
 * Comments, `encryptionsalt` and keys of other namespaces are left as they are.
 */
import { isDeepStrictEqual } from "node:util";
import { Document, parseDocument } from "yaml";

type Values = Readonly<Record<string, unknown>>;

/** A stack file the yaml parser cannot read: each problem as `line:column: message`. */
export class StackFileSyntaxError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("; "));
    this.name = "StackFileSyntaxError";
  }
}

export interface StackFilePlan {
  /** The file's new text (equal to the old text when nothing changed). */
  text: string;
  /** What the roster now owns in the file: the record for the next run. */
  written: Record<string, unknown>;
  /** Keys set by hand to a value other than the roster's; left alone. */
  kept: string[];
  changed: boolean;
}

const HEADER =
  " Written by `npm run class -- init` from class.yaml. Values you change here by hand are kept\n" +
  ' (init only updates the values it wrote itself); see docs/teacher.md, "Hand-set values win".';

function configOf(document: Document): Record<string, unknown> {
  const json: unknown = document.toJS();
  const config =
    typeof json === "object" && json !== null ? (json as { config?: unknown }).config : undefined;
  return typeof config === "object" && config !== null ? (config as Record<string, unknown>) : {};
}

/** The `config:` of a stack file's text ({} when it has none, or errors renderStackFile names). */
export function stackFileConfig(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  const document = parseDocument(text);
  return document.errors.length > 0 ? {} : configOf(document);
}

/**
 * `current` is the file's text (undefined when there is none), `desired` the roster's config for
 * this student, `lastWritten` the record of the previous run ({} on the first).
 */
export function renderStackFile(
  current: string | undefined,
  desired: Values,
  lastWritten: Values = {},
): StackFilePlan {
  const document = current === undefined ? new Document({ config: {} }) : parseDocument(current);
  // A document with errors cannot be written back (yaml's "Document with errors cannot be
  // stringified"): say where it is broken instead, before anything is written.
  if (document.errors.length > 0) {
    throw new StackFileSyntaxError(
      document.errors.map((e) => {
        const at = e.linePos?.[0];
        const message = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
        return `${at ? `${at.line}:${at.col}: ` : ""}${message}`;
      }),
    );
  }
  if (current === undefined) document.commentBefore = HEADER;
  if (!document.has("config")) document.set("config", {});
  const before = configOf(document);
  const written: Record<string, unknown> = {};
  const kept: string[] = [];

  for (const [key, value] of Object.entries(desired)) {
    const has = key in before;
    const ours = has && key in lastWritten && isDeepStrictEqual(before[key], lastWritten[key]);
    if (!has || ours || isDeepStrictEqual(before[key], value)) {
      if (!has || !isDeepStrictEqual(before[key], value)) document.setIn(["config", key], value);
      written[key] = value;
    } else {
      kept.push(key);
    }
  }
  // A value the roster no longer sets goes, unless someone changed it by hand since.
  for (const [key, value] of Object.entries(lastWritten)) {
    if (key in desired || !(key in before)) continue;
    if (isDeepStrictEqual(before[key], value)) document.deleteIn(["config", key]);
  }

  const text =
    current !== undefined && !documentChanged(before, document) ? current : String(document);
  return { text, written, kept, changed: text !== current };
}

/** Leaves the text byte for byte when the values did not change (running twice changes nothing). */
function documentChanged(before: Record<string, unknown>, document: Document): boolean {
  return !isDeepStrictEqual(before, configOf(document));
}
