/**
 * `npm run docker-context -- --bundle DIR` (the folder a teacher handed out) or `-- --stack alice`
 * (from the stack's outputs, for whoever holds the backend and passphrase): a docker context for
 * the student's cluster, and a registry login through it. See plan.ts for what it does and why.
 */
import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { BUNDLE_FILE, parseBundle } from "../bundle/contents";
import { privateDir, writeFileWithMode } from "../bundle/private-files";
import { labOutputs, nextSteps, planDockerContext } from "./plan";

export const USAGE =
  "usage: npm run docker-context -- --bundle <folder from your teacher>\n" +
  "   or: npm run docker-context -- --stack <stack>   (needs the Pulumi CLI, backend and passphrase)";

/** Reads a stack's outputs, secrets shown; injectable so tests feed fixed outputs. */
export type OutputReader = (stack: string) => Promise<Record<string, unknown>>;

export interface CommandRunner {
  (args: string[], stdin?: string): Promise<{ exitCode: number; stderr: string }>;
}

/** What to say when `pulumi` is not on PATH: a student should not need it at all. */
export const NO_PULUMI =
  "the Pulumi CLI is not installed (spawn pulumi ENOENT). Students do not need it: ask your " +
  "teacher for your bundle folder and run `npm run docker-context -- --bundle <folder>`.";

/** What to say when `docker` is not on PATH, before any file is written. */
export const NO_DOCKER =
  "the docker CLI is not on PATH (spawn docker ENOENT): install Docker (the CLI is enough, " +
  "20.10 or newer) and run this again. Nothing was written.";

/** JSON.parse of `pulumi stack output --json`, with a message a student can act on. */
export function parseOutputsJson(stack: string, stdout: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(stdout);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // falls through to the message below
  }
  const first = stdout.trim().split("\n")[0].slice(0, 80);
  throw new Error(
    `pulumi stack output --stack ${stack} printed no JSON object (it began ${JSON.stringify(first)}): ` +
      `run \`pulumi stack output --json --stack ${stack}\` yourself to see why`,
  );
}

export const pulumiOutputs: OutputReader = (stack) =>
  new Promise((resolve, reject) => {
    execFile(
      "pulumi",
      ["stack", "output", "--json", "--show-secrets", "--stack", stack],
      // env spelt out: the child sees this module's process.env (under jest, the test's copy).
      { maxBuffer: 16 * 1024 * 1024, env: process.env },
      (error, stdout, stderr) => {
        if ((error as NodeJS.ErrnoException | null)?.code === "ENOENT") {
          reject(new Error(NO_PULUMI));
          return;
        }
        if (error) {
          reject(
            new Error(
              `pulumi stack output --stack ${stack} failed: ${stderr.trim() || error.message}`,
            ),
          );
          return;
        }
        try {
          resolve(parseOutputsJson(stack, stdout));
        } catch (parseError) {
          reject(parseError as Error);
        }
      },
    );
  });

export const dockerCli: CommandRunner = (args, stdin) =>
  new Promise((resolve, reject) => {
    const child = spawn("docker", args, {
      stdio: ["pipe", "inherit", "pipe"],
      env: process.env,
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "ENOENT" ? new Error(NO_DOCKER) : error),
    );
    child.on("close", (code) => resolve({ exitCode: code ?? 1, stderr }));
    child.stdin.end(stdin ?? "");
  });

/** The stack name and its outputs, from a bundle folder or from Pulumi. */
async function source(
  values: { stack?: string; bundle?: string },
  read: OutputReader,
): Promise<{ stack: string; outputs: Record<string, unknown> }> {
  if (values.bundle !== undefined && values.stack !== undefined) {
    throw new Error(`give --bundle or --stack, not both\n${USAGE}`);
  }
  if (values.bundle !== undefined) {
    const file = path.join(values.bundle, BUNDLE_FILE);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      throw new Error(`${file} not found: give the folder your teacher handed out`);
    }
    const data = parseBundle(text, file);
    return { stack: data.stack, outputs: { ...data } };
  }
  if (!values.stack) throw new Error(USAGE);
  return { stack: values.stack, outputs: await read(values.stack) };
}

export async function dockerContext(
  argv: string[],
  read: OutputReader = pulumiOutputs,
  docker: CommandRunner = dockerCli,
  home = homedir(),
  print: (line: string) => void = console.log,
): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { stack: { type: "string" }, bundle: { type: "string" } },
  });
  const { stack, outputs: raw } = await source(values, read);
  const outputs = labOutputs(stack, raw);
  const plan = planDockerContext(stack, outputs, home);
  const [clearOld, ...steps] = plan.commands;
  // The first step only clears a context of an earlier run (it may not exist, so its exit code
  // does not matter). It runs before any file is written: without docker on PATH it fails with
  // NO_DOCKER and leaves no key behind.
  print(`- ${clearOld.what}`);
  await docker(clearOld.args, clearOld.stdin);
  privateDir(plan.dir);
  // Each file a new inode with its final mode (issue 24, item 6): the key is never 0644.
  for (const file of plan.files) writeFileWithMode(file.path, file.content, file.mode);
  for (const step of steps) {
    print(`- ${step.what}`);
    const result = await docker(step.args, step.stdin);
    if (result.exitCode !== 0) {
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
