/**
 * The JSON document `pulumi preview --json` prints: Pulumi's `PreviewDigest`
 * (sdk/go/common/display/json.go in pulumi/pulumi, written by pkg/backend/display/json.go's
 * ShowPreviewDigest). Only the fields the summary reads are typed; everything is optional because
 * a failed preview prints a partial digest (or nothing at all) and fields are `omitempty`.
 *
 * Facts about the shape that the summary relies on:
 * - `steps` holds one step per resource the engine will touch. Unchanged resources (`op: "same"`)
 *   are left out, except the root stack, unless `--show-sames`; a replacement is one `replace`
 *   step unless `--show-replacement-steps` adds `create-replacement`/`delete-replaced` steps.
 * - The resource type is in `newState.type`/`oldState.type` and, always, in the URN:
 *   `urn:pulumi:<stack>::<project>::<parent types joined by $>$<type>::<name>`.
 * - Secret values are the string "[secret]" in states; diagnostics carry no colour codes.
 * - Policy violations are NOT in the digest (the JSON display skips policy events): a mandatory
 *   violation shows up as an error diagnostic and the full text is on stderr, which is why the
 *   CLI also reads a `<stack>.log` beside each `<stack>.json`.
 */

/** One property's change; `kind` is add, delete, update, or the same with `-replace`. */
export interface PropertyDiff {
  kind: string;
  inputDiff?: boolean;
}

/** `apitype.ResourceV3`, reduced to what the summary reads. */
export interface ResourceState {
  urn?: string;
  type?: string;
  id?: string;
  custom?: boolean;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  parent?: string;
}

export interface PreviewStep {
  op: string;
  urn: string;
  provider?: string;
  oldState?: ResourceState;
  newState?: ResourceState;
  /** Keys that cause a diff (updates). */
  diffReasons?: string[];
  /** Keys that cause the replacement (replaces). */
  replaceReasons?: string[];
  detailedDiff?: Record<string, PropertyDiff> | null;
}

export interface PreviewDiagnostic {
  urn?: string;
  prefix?: string;
  message?: string;
  /** debug, info, info#err, warning, error */
  severity?: string;
}

export interface PreviewDigest {
  config?: Record<string, string>;
  steps?: PreviewStep[];
  diagnostics?: PreviewDiagnostic[];
  /** Nanoseconds (Go's time.Duration). */
  duration?: number;
  changeSummary?: Record<string, number>;
  maybeCorrupt?: boolean;
}

/** What one file held: a digest, or why there is none (empty output, not JSON, not a digest). */
export type ParsedPreview = { ok: true; digest: PreviewDigest } | { ok: false; reason: string };

/**
 * Reads a preview's stdout. Pulumi prints the digest only at the end, so a preview that died early
 * (bad credentials, a crash) leaves an empty file or plain text: say so instead of throwing.
 */
const DIGEST_KEYS = ["steps", "changeSummary", "diagnostics", "config"] as const;

export function parsePreview(text: string): ParsedPreview {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: false, reason: "the preview printed nothing" };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    const firstLine = trimmed.split("\n", 1)[0];
    return { ok: false, reason: `the preview did not print JSON: ${firstLine.slice(0, 200)}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: "the preview's JSON is not an object" };
  }
  const digest = value as PreviewDigest;
  // The engine's digest (pkg/backend/display/json.go, previewDigest) always has a changeSummary
  // once the stack has a resource, and steps for what changes: an object with none of its keys
  // is some other JSON, not "no changes" (issue 26, item 10).
  if (!DIGEST_KEYS.some((key) => key in digest)) {
    return {
      ok: false,
      reason:
        "the JSON holds none of a preview digest's keys (steps, changeSummary, diagnostics): " +
        "is it the output of `pulumi preview --json`?",
    };
  }
  if (digest.steps !== undefined && !Array.isArray(digest.steps)) {
    return { ok: false, reason: "the preview's JSON has `steps` that is not a list" };
  }
  return { ok: true, digest };
}

export interface UrnParts {
  stack: string;
  project: string;
  /** The resource's own type (the last of the `$`-joined parent chain). */
  type: string;
  name: string;
}

/** Splits `urn:pulumi:<stack>::<project>::<types>::<name>`; undefined when it is not a URN. */
export function parseUrn(urn: string): UrnParts | undefined {
  const match = /^urn:pulumi:(.*?)::(.*?)::(.*?)::(.*)$/s.exec(urn);
  if (!match) return undefined;
  const [, stack, project, types, name] = match;
  return { stack, project, type: types.slice(types.lastIndexOf("$") + 1), name };
}
