/**
 * The rendered user-data through the host's real `cloud-init schema` (Debian 12, cloud-init
 * 22.4). Debian 13's cloud-init 25.1 checks the same files in test/images (it needs Docker).
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
import { requireTool, run } from "./tools";

let dir: string;

beforeAll(() => {
  dir = writeSchemaConfigs();
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("cloud-init 22.4 schema (the host's cloud-init, as on Debian 12)", () => {
  beforeAll(() => requireTool("cloud-init", "cloud-init"));

  function check(title: string): SchemaResult {
    const file = path.join(dir, schemaFileName(title));
    const result = run("cloud-init", ["schema", "--config-file", file]);
    return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
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
