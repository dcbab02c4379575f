/** Real tools the template tests need; a missing one FAILS the test with how to install it. */
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as path from "path";

export function requireTool(binary: string, debianPackage: string): void {
  const found = spawnSync("sh", ["-c", `command -v ${binary}`], { encoding: "utf8" });
  if (found.status !== 0) {
    throw new Error(
      `${binary} is not installed; the template tests need the real tool: apt-get install ${debianPackage}`,
    );
  }
}

export function run(
  command: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {},
): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: "utf8", timeout: 60_000, ...options });
}

/** One `cloud-init schema --config-file FILE`: its exit status and its stdout and stderr. */
export interface SchemaCheck {
  status: number;
  output: string;
}

/**
 * `cloud-init schema --config-file FILE` for each of `files`, run by the installed cloud-init's
 * own Python (the interpreter its command names) in one process: cloud-init-schema-each.py runs
 * the command's entry point once per file, each with its own output and exit status.
 */
export function cloudInitSchemaEach(files: string[]): Map<string, SchemaCheck> {
  const command = spawnSync("sh", ["-c", "command -v cloud-init"], { encoding: "utf8" });
  const shebang = /^#!\s*(\S+)/.exec(fs.readFileSync(command.stdout.trim(), "utf8"));
  if (!shebang) throw new Error(`${command.stdout.trim()} does not name its Python interpreter`);
  const result = run(shebang[1], [path.join(__dirname, "cloud-init-schema-each.py"), ...files], {
    timeout: 300_000,
  });
  if (result.status !== 0) {
    throw new Error(`cloud-init-schema-each.py failed (${result.status}): ${result.stderr}`);
  }
  const checks = JSON.parse(result.stdout) as ({ file: string } & SchemaCheck)[];
  return new Map(checks.map(({ file, status, output }) => [file, { status, output }]));
}
