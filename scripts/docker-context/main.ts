/**
 * `npm run docker-context -- --stack alice`: a docker context for the student's cluster from the
 * stack's outputs, and a registry login through it. See plan.ts for what it does and why.
 */
import { execFile, spawn } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { parseArgs } from "node:util";
import { labOutputs, nextSteps, planDockerContext } from "./plan";

export const USAGE = "usage: npm run docker-context -- --stack <stack>";

/** Reads a stack's outputs, secrets shown; injectable so tests feed fixed outputs. */
export type OutputReader = (stack: string) => Promise<Record<string, unknown>>;

export interface CommandRunner {
  (args: string[], stdin?: string): Promise<{ exitCode: number; stderr: string }>;
}

export const pulumiOutputs: OutputReader = (stack) =>
  new Promise((resolve, reject) => {
    execFile(
      "pulumi",
      ["stack", "output", "--json", "--show-secrets", "--stack", stack],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(
              `pulumi stack output --stack ${stack} failed: ${stderr.trim() || error.message}`,
            ),
          );
          return;
        }
        resolve(JSON.parse(stdout) as Record<string, unknown>);
      },
    );
  });

export const dockerCli: CommandRunner = (args, stdin) =>
  new Promise((resolve, reject) => {
    const child = spawn("docker", args, { stdio: ["pipe", "inherit", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ exitCode: code ?? 1, stderr }));
    child.stdin.end(stdin ?? "");
  });

export async function dockerContext(
  argv: string[],
  read: OutputReader = pulumiOutputs,
  docker: CommandRunner = dockerCli,
  home = homedir(),
  print: (line: string) => void = console.log,
): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { stack: { type: "string" } } });
  if (!values.stack) throw new Error(USAGE);
  const outputs = labOutputs(values.stack, await read(values.stack));
  const plan = planDockerContext(values.stack, outputs, home);
  mkdirSync(plan.dir, { recursive: true, mode: 0o700 });
  for (const file of plan.files) {
    writeFileSync(file.path, file.content, { mode: file.mode });
    chmodSync(file.path, file.mode);
  }
  for (const [index, step] of plan.commands.entries()) {
    print(`- ${step.what}`);
    const result = await docker(step.args, step.stdin);
    // The first step only clears a context of an earlier run; it may not exist.
    if (result.exitCode !== 0 && index > 0) {
      throw new Error(`docker ${step.args.slice(0, 3).join(" ")} failed: ${result.stderr.trim()}`);
    }
  }
  print(nextSteps(plan, outputs));
}

if (require.main === module) {
  dockerContext(process.argv.slice(2)).catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
