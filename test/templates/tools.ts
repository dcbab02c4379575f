/** Real tools the template tests need; a missing one FAILS the test with how to install it. */
import { spawnSync, SpawnSyncReturns } from "child_process";

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
