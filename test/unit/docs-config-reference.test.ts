/**
 * docs/configuration.md's table of keys against what decides them: Pulumi.yaml's `config:`
 * declarations (the type the engine checks and the default it fills in, pulumi/pulumi
 * pkg/workspace/config.go) and the program's own list of keys (infra/config/keys.ts, which also
 * holds the keys Pulumi.yaml cannot declare). A key missing on either side, or a documented type
 * or default that is not the declared one, fails here, so the reference cannot drift.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CONFIG_KEYS } from "../../infra/config/keys";

const ROOT = path.join(__dirname, "..", "..");

interface Declared {
  type?: string;
  default?: unknown;
}

interface Row {
  key: string;
  type: string;
  defaultCell: string;
}

function declaredKeys(): Record<string, Declared> {
  const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
    config: Record<string, Declared>;
  };
  return project.config;
}

/** The rows of the table under "## Keys": | `key` | type | default | meaning |. */
export function referenceRows(markdown: string): Row[] {
  const section = /^## Keys\n([\s\S]*?)(?=^## )/m.exec(markdown)?.[1] ?? "";
  return section
    .split("\n")
    .filter((line) => /^\| `/.test(line))
    .map((line) => {
      const cells = line.split("|").map((c) => c.trim());
      return {
        key: (cells[1] ?? "").replace(/`/g, ""),
        type: cells[2] ?? "",
        defaultCell: cells[3] ?? "",
      };
    });
}

/** What is wrong between the table and the declarations, one line each. */
export function referenceProblems(
  rows: readonly Row[],
  declared: Record<string, Declared>,
  programKeys: readonly string[],
): string[] {
  const problems: string[] = [];
  const documented = new Map(rows.map((row) => [row.key, row]));
  for (const key of programKeys) {
    if (!documented.has(key)) problems.push(`${key}: a swarmlab key, but not in the table`);
  }
  for (const key of Object.keys(declared)) {
    if (!programKeys.includes(key))
      problems.push(`${key}: declared in Pulumi.yaml, not a swarmlab key`);
  }
  for (const row of rows) {
    const spec = declared[row.key];
    if (!programKeys.includes(row.key)) {
      problems.push(`${row.key}: in the table, but swarmlab has no such key`);
      continue;
    }
    if (spec === undefined) {
      // Not declarable as project config (an object of free keys): the program reads it.
      if (row.type !== "object, not declared") {
        problems.push(
          `${row.key}: not declared in Pulumi.yaml, so its type reads "object, not declared", not "${row.type}"`,
        );
      }
      continue;
    }
    const type = spec.type ?? "none declared";
    if (row.type !== type)
      problems.push(`${row.key}: type is "${row.type}", Pulumi.yaml declares "${type}"`);
    if (spec.default === undefined) {
      if (row.defaultCell !== "**required**") {
        problems.push(
          `${row.key}: Pulumi.yaml declares no default, so it is **required**, not "${row.defaultCell}"`,
        );
      }
      continue;
    }
    const shown = /^`([^`]*)`/.exec(row.defaultCell)?.[1];
    if (shown === undefined) {
      problems.push(
        `${row.key}: the default cell must start with the declared default in backticks, e.g. \`${JSON.stringify(spec.default)}\`; it is "${row.defaultCell}"`,
      );
      continue;
    }
    const value: unknown = parse(shown);
    if (JSON.stringify(value) !== JSON.stringify(spec.default)) {
      problems.push(
        `${row.key}: default is ${JSON.stringify(value)}, Pulumi.yaml declares ${JSON.stringify(spec.default)}`,
      );
    }
  }
  return problems;
}

describe("docs/configuration.md's keys", () => {
  const markdown = fs.readFileSync(path.join(ROOT, "docs/configuration.md"), "utf8");
  const rows = referenceRows(markdown);

  it("are found, one row per key", () => {
    expect(rows.length).toBeGreaterThanOrEqual(30);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
  });

  it("are every key of Pulumi.yaml and of the program, with the declared type and default", () => {
    expect(referenceProblems(rows, declaredKeys(), CONFIG_KEYS)).toEqual([]);
  });

  it("(the check itself: a row missing, a wrong default or type is reported)", () => {
    const declared = { workers: { type: "integer", default: 2 }, allowedCidrs: { type: "array" } };
    const keys = ["workers", "allowedCidrs", "daemonConfig"];
    expect(
      referenceProblems(
        [
          { key: "workers", type: "string", defaultCell: "`3`" },
          { key: "daemonConfig", type: "object", defaultCell: "`{}`" },
        ],
        declared,
        keys,
      ),
    ).toEqual([
      "allowedCidrs: a swarmlab key, but not in the table",
      'workers: type is "string", Pulumi.yaml declares "integer"',
      "workers: default is 3, Pulumi.yaml declares 2",
      'daemonConfig: not declared in Pulumi.yaml, so its type reads "object, not declared", not "object"',
    ]);
  });
});
