/** Thin wrappers over the host's `docker` CLI, which plays nova, neutron and cinder here. */
import { CommandResult, run, runOk, RunOptions } from "./process";

export function docker(args: string[], options?: RunOptions): Promise<CommandResult> {
  return run("docker", args, options);
}

/** Runs `docker ARGS`; throws with docker's message on a non-zero exit. Returns trimmed stdout. */
export async function dockerOk(args: string[], options?: RunOptions): Promise<string> {
  return (await runOk("docker", args, options)).trim();
}

/** Runs a command inside a node as root, like a console login: used for checks, not for the lifecycle. */
export function execInNode(
  node: string,
  command: string,
  options?: RunOptions,
): Promise<CommandResult> {
  const interactive = options?.input === undefined ? [] : ["-i"];
  return docker(["exec", ...interactive, node, "bash", "-c", command], options);
}

export async function execInNodeOk(
  node: string,
  command: string,
  options?: RunOptions,
): Promise<string> {
  const result = await execInNode(node, command, options);
  if (result.exitCode !== 0) {
    throw new Error(
      `on ${node}: \`${command}\` exited ${result.exitCode}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  return result.stdout.trim();
}
