/**
 * The rendered user-data through the real `cloud-init schema` of two generations: the host's
 * (Debian 12, cloud-init 22.4) and Debian 13's (cloud-init 25.1, what current cloud images run),
 * the latter inside the system test's Debian 13 node image, the very cloud-init its nodes boot.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderUserData } from "../../infra/nodes/cloudinit";
import { templateFile } from "../../infra/nodes/templates";
import { SETTINGS_MATRIX } from "../unit/node-settings.fixture";
import { ensureImage, nodeImage } from "../system/harness/cached-image";
import { DEBIAN_13 } from "../system/harness/releases";
import { requireTool, run } from "./tools";

/** Every config the checks run, by file name: the base config and each rendered user-data. */
const CONFIGS: [string, string][] = [
  ["base", templateFile("cloud-config.yaml")],
  ...SETTINGS_MATRIX.map(([title, settings]): [string, string] => [
    title,
    renderUserData(settings),
  ]),
];
const BROKEN = "#cloud-config\nwrite_files:\n  - content: no path\n";

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-schema-"));
  for (const [title, text] of [...CONFIGS, ["broken", BROKEN]]) {
    fs.writeFileSync(path.join(dir, fileName(title)), text);
  }
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function fileName(title: string): string {
  return `${title.replace(/[^a-z0-9]+/gi, "-")}.yaml`;
}

interface SchemaResult {
  status: number;
  output: string;
}

describe("cloud-init 22.4 schema (the host's cloud-init, as on Debian 12)", () => {
  beforeAll(() => requireTool("cloud-init", "cloud-init"));

  function check(title: string): SchemaResult {
    const result = run("cloud-init", ["schema", "--config-file", path.join(dir, fileName(title))]);
    return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
  }

  it.each(CONFIGS.map(([title]) => title))("accepts %s", (title) => {
    expect(check(title)).toEqual({
      status: 0,
      output: expect.stringContaining("Valid cloud-config"),
    });
  });

  it("rejects a broken config (the check is real)", () => {
    expect(check("broken").status).not.toBe(0);
  });
});

describe("cloud-init 25.1 schema (Debian 13's, in the system test's node image)", () => {
  const results = new Map<string, SchemaResult>();

  // One container checks every file: a container start and a Python start per file would add
  // ~3 s each.
  beforeAll(async () => {
    requireTool(
      "docker",
      "docker.io (and a running dockerd: this check runs Debian 13's cloud-init)",
    );
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

  function check(title: string): SchemaResult {
    const result = results.get(fileName(title));
    if (!result) throw new Error(`cloud-init 25.1 printed no result for ${fileName(title)}`);
    return result;
  }

  it.each(CONFIGS.map(([title]) => title))("accepts %s, with no deprecated key", (title) => {
    const result = check(title);
    expect(result).toEqual({ status: 0, output: expect.stringContaining("Valid schema") });
    // A key deprecated now is gone in a later release: catch it while the images still warn.
    expect(result.output).not.toMatch(/deprecat/i);
  });

  it("rejects a broken config (the check is real)", () => {
    expect(check("broken")).toEqual({
      status: 1,
      output: expect.stringContaining("'path' is a required property"),
    });
  });
});
