/**
 * Before any class verb that drives Pulumi: `pulumi version`, checked against the minimum the
 * program needs, so a class does not fail halfway through thirty `pulumi up`s on an old CLI.
 */
import { execFile } from "node:child_process";
import { pulumiVersionProblem } from "../lib/pulumi-cli-version";

/** Runs `pulumi version`: its stdout, or the error (ENOENT when pulumi is not on PATH). */
export type VersionCommand = () => Promise<string>;

export const runPulumiVersion: VersionCommand = () =>
  new Promise((resolve, reject) => {
    // env given explicitly, as the Automation API does: the PATH this process has now.
    execFile("pulumi", ["version"], { timeout: 30_000, env: process.env }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });

const NOT_ON_PATH =
  "The class verbs drive the Pulumi CLI, which is not on PATH: install it with " +
  '`curl -fsSL https://get.pulumi.com | sh` (see the README, "What you need").';

/** Why the class verbs cannot run with this machine's Pulumi CLI, or undefined if they can. */
export async function pulumiCliProblem(
  version: VersionCommand = runPulumiVersion,
): Promise<string | undefined> {
  let output: string;
  try {
    output = await version();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return NOT_ON_PATH;
    return `\`pulumi version\` failed: ${(error as Error).message}`;
  }
  return pulumiVersionProblem(output);
}
