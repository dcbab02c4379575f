/**
 * Runs a host command (docker, losetup, bash) with a deadline and collects its output. Every
 * harness call to the host goes through here so a hung command fails the test with its name
 * instead of hanging jest until its own timeout.
 */
import { spawn } from "node:child_process";

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  /** Bytes written to the command's stdin (then closed). */
  input?: string | Buffer;
  /** Kill the command and fail after this long. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;

export function run(
  file: string,
  args: string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${describe(file, args)} did not finish within ${timeoutMs / 1000}s`));
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        exitCode: code ?? (signal ? 128 : 1),
      });
    });
    // A command that exits without reading stdin closes the pipe: that is not our error.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

/** Like run(), but a non-zero exit is an error that quotes the command and its stderr. */
export async function runOk(
  file: string,
  args: string[],
  options: RunOptions = {},
): Promise<string> {
  const result = await run(file, args, options);
  if (result.exitCode !== 0) {
    throw new Error(
      `${describe(file, args)} exited ${result.exitCode}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  return result.stdout;
}

/**
 * `producer | consumer` without a shell, e.g. `docker save IMAGE | docker exec -i NODE docker load`.
 * Both sides must exit 0 within the deadline.
 */
export function pipe(
  producer: [string, string[]],
  consumer: [string, string[]],
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<void> {
  const what = `${describe(...producer)} | ${describe(...consumer)}`;
  return new Promise((resolve, reject) => {
    const left = spawn(producer[0], producer[1], { stdio: ["ignore", "pipe", "pipe"] });
    const right = spawn(consumer[0], consumer[1], { stdio: ["pipe", "pipe", "pipe"] });
    left.stdout.pipe(right.stdin);
    // A consumer that dies early closes its stdin: report its exit status, not an EPIPE crash.
    right.stdin.on("error", () => undefined);
    const errors: string[] = [];
    left.stderr.on("data", (chunk: Buffer) => errors.push(chunk.toString()));
    right.stderr.on("data", (chunk: Buffer) => errors.push(chunk.toString()));
    right.stdout.resume();
    const codes: number[] = [];
    const timer = setTimeout(() => {
      left.kill("SIGKILL");
      right.kill("SIGKILL");
      reject(new Error(`${what} did not finish within ${timeoutMs / 1000}s`));
    }, timeoutMs);
    const onClose = (code: number | null) => {
      codes.push(code ?? 1);
      if (codes.length < 2) return;
      clearTimeout(timer);
      if (codes.every((c) => c === 0)) resolve();
      else
        reject(new Error(`${what} failed (exit ${codes.join(", ")}): ${errors.join("").trim()}`));
    };
    left.on("close", onClose);
    right.on("close", onClose);
  });
}

function describe(file: string, args: string[]): string {
  return [file, ...args].join(" ").slice(0, 200);
}
