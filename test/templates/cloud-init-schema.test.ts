/**
 * The rendered user-data through the host's real `cloud-init schema` (Debian 12, cloud-init
 * 22.4). Debian 13's cloud-init 25.1 checks the same files in test/images (it needs Docker).
 * Every file is checked by one cloud-init process (tools.ts cloudInitSchemaEach): the command's
 * own entry point per file, with its own output and exit status.
 */
import * as fs from "fs";
import * as path from "path";
import {
  BROKEN_TITLE,
  SCHEMA_CONFIGS,
  SchemaResult,
  schemaFileName,
  writeSchemaConfigs,
} from "./schema-configs";
import { cloudInitSchemaEach, requireTool } from "./tools";

let dir: string;

beforeAll(() => {
  dir = writeSchemaConfigs();
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("cloud-init 22.4 schema (the host's cloud-init, as on Debian 12)", () => {
  /** Each file's `cloud-init schema --config-file`, all checked by one cloud-init process. */
  let checks: Map<string, SchemaResult>;

  beforeAll(() => {
    requireTool("cloud-init", "cloud-init");
    const titles = [...SCHEMA_CONFIGS.map(([title]) => title), BROKEN_TITLE];
    checks = cloudInitSchemaEach(titles.map(fileOf));
  });

  function fileOf(title: string): string {
    return path.join(dir, schemaFileName(title));
  }

  function check(title: string): SchemaResult {
    const result = checks.get(fileOf(title));
    if (!result) throw new Error(`cloud-init did not check ${fileOf(title)}`);
    return result;
  }

  it.each(SCHEMA_CONFIGS.map(([title]) => title))("accepts %s", (title) => {
    expect(check(title)).toEqual({
      status: 0,
      output: expect.stringContaining("Valid cloud-config"),
    });
  });

  it("rejects a broken config (the check is real)", () => {
    expect(check(BROKEN_TITLE).status).not.toBe(0);
  });
});
