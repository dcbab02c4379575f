/**
 * The rendered user-data through Debian 13's `cloud-init schema` (25.1, close to what current
 * cloud images run), inside the system test's Debian 13 node image: the very cloud-init its
 * nodes boot. Needs Docker and root (the image is built with debootstrap): `npm run test:images`.
 */
import * as fs from "fs";
import { ensureImage, nodeImage } from "../system/harness/cached-image";
import { DEBIAN_13 } from "../system/harness/releases";
import {
  BROKEN_TITLE,
  SCHEMA_CONFIGS,
  SchemaResult,
  schemaFileName,
  writeSchemaConfigs,
} from "../templates/schema-configs";
import { run } from "../templates/tools";
import { requireDockerAndRoot } from "./requirements";

let dir: string;
const results = new Map<string, SchemaResult>();

// One container checks every file: a container start and a Python start per file would add
// ~3 s each.
beforeAll(async () => {
  requireDockerAndRoot();
  dir = writeSchemaConfigs();
  const image = await ensureImage(nodeImage(DEBIAN_13));
  const script =
    'for f in /check/*.yaml; do echo "=== ${f##*/}"; cloud-init schema --config-file "$f" 2>&1; ' +
    'echo "=== exit $?"; done';
  const checked = run(
    "docker",
    ["run", "--rm", "--network", "none", "-v", `${dir}:/check:ro`, image.tag, "sh", "-c", script],
    { timeout: 120_000 },
  );
  if (checked.status !== 0) throw new Error(`docker run failed: ${checked.stderr}`);
  for (const match of checked.stdout.matchAll(/^=== (\S+)\n([\s\S]*?)^=== exit (\d+)$/gm)) {
    results.set(match[1], { status: Number(match[3]), output: match[2] });
  }
}, 20 * 60_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function check(title: string): SchemaResult {
  const result = results.get(schemaFileName(title));
  if (!result) throw new Error(`cloud-init 25.1 printed no result for ${schemaFileName(title)}`);
  return result;
}

describe("cloud-init 25.1 schema (Debian 13's, in the system test's node image)", () => {
  it.each(SCHEMA_CONFIGS.map(([title]) => title))("accepts %s, with no deprecated key", (title) => {
    const result = check(title);
    expect(result).toEqual({ status: 0, output: expect.stringContaining("Valid schema") });
    // A key deprecated now is gone in a later release: catch it while the images still warn.
    expect(result.output).not.toMatch(/deprecat/i);
  });

  it("rejects a broken config (the check is real)", () => {
    expect(check(BROKEN_TITLE)).toEqual({
      status: 1,
      output: expect.stringContaining("'path' is a required property"),
    });
  });
});
