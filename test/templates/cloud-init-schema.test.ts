import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderUserData } from "../../infra/cloudinit";
import { templateFile } from "../../infra/templates";
import { SETTINGS_MATRIX } from "../unit/node-settings.fixture";
import { requireTool, run } from "./tools";

let dir: string;

beforeAll(() => {
  requireTool("cloud-init", "cloud-init");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-schema-"));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function schemaCheck(name: string, text: string): void {
  const file = path.join(dir, `${name.replace(/[^a-z0-9]+/gi, "-")}.yaml`);
  fs.writeFileSync(file, text);
  const result = run("cloud-init", ["schema", "--config-file", file]);
  const output = `${result.stdout}${result.stderr}`;
  expect({ status: result.status, output }).toEqual({
    status: 0,
    output: expect.stringContaining("Valid cloud-config"),
  });
}

describe("cloud-init schema (the real cloud-init)", () => {
  it("accepts the static base config", () => {
    schemaCheck("base", templateFile("cloud-config.yaml"));
  });

  it.each(SETTINGS_MATRIX)("accepts the user-data of %s", (title, settings) => {
    schemaCheck(title, renderUserData(settings));
  });

  it("rejects a broken config (the check is real)", () => {
    const file = path.join(dir, "broken.yaml");
    fs.writeFileSync(file, "#cloud-config\nwrite_files:\n  - content: no path\n");
    const result = run("cloud-init", ["schema", "--config-file", file]);
    expect(result.status).not.toBe(0);
  });
});
