/**
 * The cloud-configs every `cloud-init schema` check runs (22.4 in test/templates, 25.1 in
 * test/images), by title: the base config and each rendered user-data, largest ones included.
 * Written to a folder so that either cloud-init reads the very same files.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderUserData } from "../../infra/nodes/cloudinit";
import { templateFile } from "../../infra/nodes/templates";
import { LARGEST_SETTINGS, SETTINGS_MATRIX } from "../unit/node-settings.fixture";

export const SCHEMA_CONFIGS: [string, string][] = [
  ["base", templateFile("cloud-config.yaml")],
  ...[...SETTINGS_MATRIX, ...LARGEST_SETTINGS].map(([title, settings]): [string, string] => [
    title,
    renderUserData(settings),
  ]),
];

/** A config each schema must refuse: proves the check is real. */
export const BROKEN_TITLE = "broken";
const BROKEN = "#cloud-config\nwrite_files:\n  - content: no path\n";

export function schemaFileName(title: string): string {
  return `${title.replace(/[^a-z0-9]+/gi, "-")}.yaml`;
}

/** A fresh folder holding every config and the broken one; the caller removes it. */
export function writeSchemaConfigs(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-schema-"));
  for (const [title, text] of [...SCHEMA_CONFIGS, [BROKEN_TITLE, BROKEN]]) {
    fs.writeFileSync(path.join(dir, schemaFileName(title)), text);
  }
  return dir;
}

export interface SchemaResult {
  status: number;
  output: string;
}
