/**
 * Scripts run over SSH on a manager for the application stacks, by the Pulumi program and by the
 * system test alike (one copy): templates/stack-image.sh and swarm-stack.sh, fed to
 * `bash -s -- ARGS` after lib.sh and lib-registry-login.sh, as infra/swarm/remote-scripts.ts does for
 * the swarm. What a script works on (compose text, build context) goes on stdin before the script
 * as one bash assignment, so nothing of it is on a command line and the compose text stays
 * readable in `pulumi preview --diff`. The registry's credentials are not in the script: they are
 * the step's secret stdin (`registryCredentials`, ManagerStep's `secretStdin`), fed before it.
 */
import type { ContextFile } from "./catalog";
import type { BuildSpec } from "./compose";
import { templateFile } from "../nodes/templates";
import { checkTimeout, RemoteScript, shellQuote } from "../swarm/remote-scripts";

const STACK_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const IMAGE_REFERENCE = /^[A-Za-z0-9.:/_-]+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const CONTEXT_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const COMPOSE_END = "SWARMLAB_COMPOSE_END";

function script(preamble: string, template: string, args: string[]): RemoteScript {
  const command = ["bash", "-s", "--", ...args].map(shellQuote).join(" ");
  const libraries = ["lib.sh", "lib-registry-login.sh"].map(templateFile);
  return { command, stdin: [preamble, ...libraries, templateFile(template)].join("\n") };
}

function checkStack(stack: string): string {
  if (!STACK_NAME.test(stack))
    throw new Error(`stack name ${JSON.stringify(stack)} must match ${STACK_NAME}`);
  return stack;
}

/** The compose text as a quoted heredoc: bash expands nothing in it. */
function composePreamble(compose: string): string {
  if (compose.split("\n").includes(COMPOSE_END)) {
    throw new Error(`compose text must not hold a line "${COMPOSE_END}"`);
  }
  return `SWARMLAB_COMPOSE=$(cat <<'${COMPOSE_END}'\n${compose.replace(/\n$/, "")}\n${COMPOSE_END}\n)`;
}

export type StackAction = "deploy" | "remove";

/**
 * Deploys (or removes) `stack` with `compose`, waiting up to `timeoutSeconds`. Both actions share
 * one stdin (a remote command has one), so the command alone says which runs.
 */
export function stackScript(
  action: StackAction,
  stack: string,
  compose: string,
  timeoutSeconds: number,
): RemoteScript {
  return script(composePreamble(compose), "swarm-stack.sh", [
    action,
    checkStack(stack),
    checkTimeout(timeoutSeconds),
  ]);
}

/** `docker build` options for what `build:` says beyond the context: target stage, build args. */
function buildOptions(build: Pick<BuildSpec, "target" | "args">): string {
  const options = [
    ...(build.target !== undefined ? ["--target", build.target] : []),
    ...Object.entries(build.args).flatMap(([key, value]) => ["--build-arg", `${key}=${value}`]),
  ];
  return `SWARMLAB_BUILD_OPTIONS=(${options.map(shellQuote).join(" ")})`;
}

/** Builds `image` from `files` (a build context) on the manager and pushes it. */
export function stackImageScript(
  image: string,
  build: Pick<BuildSpec, "dockerfile" | "target" | "args">,
  files: readonly ContextFile[],
  timeoutSeconds: number,
): RemoteScript {
  const { dockerfile } = build;
  if (!IMAGE_REFERENCE.test(image))
    throw new Error(`image ${JSON.stringify(image)} is not host:port/name:tag`);
  if (!CONTEXT_PATH.test(dockerfile))
    throw new Error(`bad Dockerfile path ${JSON.stringify(dockerfile)}`);
  const entries = files.map((file) => {
    if (!CONTEXT_PATH.test(file.path) || file.path.split("/").includes("..")) {
      throw new Error(
        `build context path ${JSON.stringify(file.path)} is not a plain relative path`,
      );
    }
    return `  '${file.path}:${file.content.toString("base64")}'`;
  });
  const preamble = `SWARMLAB_CONTEXT_FILES=(\n${entries.join("\n")}\n)\n${buildOptions(build)}`;
  return script(preamble, "stack-image.sh", [image, dockerfile, checkTimeout(timeoutSeconds)]);
}

export interface RegistryCredentials {
  /** host:port, as the nodes reach the registry. */
  address: string;
  user: string;
  password: string;
}

/**
 * The secret stdin of a step that pushes to or deploys from the cluster's registry: bash
 * assignments read by templates/lib-registry-login.sh. A secret (it holds the password): pass it as
 * ManagerStep's `secretStdin`, never inside a script.
 */
export function registryCredentials({ address, user, password }: RegistryCredentials): string {
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(address))
    throw new Error(`registry address ${JSON.stringify(address)} is not host:port`);
  if (!/^[A-Za-z0-9_.-]+$/.test(user))
    throw new Error(`registry user ${JSON.stringify(user)} is not a plain name`);
  if (password === "" || password.includes("\n"))
    throw new Error("the registry password must be one line, not empty");
  return [
    `SWARMLAB_REGISTRY_ADDRESS=${address}`,
    `SWARMLAB_REGISTRY_USER=${user}`,
    `SWARMLAB_REGISTRY_PASSWORD=${shellQuote(password)}`,
    "",
  ].join("\n");
}

/** One service of a deployed stack as swarm-stack.sh reports it. */
export interface ServiceStatus {
  service: string;
  running: number;
  wanted: number;
}

/** The JSON line swarm-stack.sh deploy prints last. */
export function parseStackServices(stdout: string): ServiceStatus[] {
  const line =
    stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "")
      .pop() ?? "";
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(
      `stack deploy did not print a JSON array of services; got ${JSON.stringify(stdout.slice(0, 200))}`,
    );
  }
  if (!Array.isArray(parsed)) throw new Error("stack deploy output is not a JSON array");
  return parsed.map((item: unknown, index) => {
    const row = (item ?? {}) as Record<string, unknown>;
    if (
      typeof row.service !== "string" ||
      !Number.isInteger(row.running) ||
      !Number.isInteger(row.wanted)
    ) {
      throw new Error(`stack deploy output: entry ${index} is not {service, running, wanted}`);
    }
    return { service: row.service, running: row.running as number, wanted: row.wanted as number };
  });
}
