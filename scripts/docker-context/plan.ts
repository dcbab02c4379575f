/**
 * What `npm run docker-context -- --stack alice` does, as a pure plan from the stack's outputs:
 * the files (CA, client certificate and key, under ~/.docker/swarmlab/<stack>, the key mode
 * 0600), `docker context create` (the CLI's own mechanism) and `docker login` through that context
 * (the password on stdin). Through the context, builds and pushes run on manager-0, which trusts
 * the lab CA and reaches the registry at its private address.
 */
import * as path from "node:path";

/** The stack outputs the plan needs (infra/index.ts). */
export interface LabOutputs {
  dockerHost: string;
  registry: string;
  registryInternal: string;
  registryUser: string;
  registryPassword: string;
  caCertificate: string;
  clientCertificate: string;
  clientKey: string;
}

export interface PlannedFile {
  path: string;
  content: string;
  mode: number;
}

export interface PlannedCommand {
  args: string[];
  /** Written to the command's stdin (the registry password): never on the command line. */
  stdin?: string;
  /** What the step does, for the progress line. */
  what: string;
}

export interface ContextPlan {
  context: string;
  dir: string;
  files: PlannedFile[];
  /** Run in order; `docker context rm` may fail (no such context yet). */
  commands: PlannedCommand[];
}

/** The stack outputs a laptop's docker context and registry login are made of. */
export const LAB_OUTPUT_KEYS: readonly (keyof LabOutputs)[] = [
  "dockerHost",
  "registry",
  "registryInternal",
  "registryUser",
  "registryPassword",
  "caCertificate",
  "clientCertificate",
  "clientKey",
];

/** Checks the stack's outputs; names every missing one and what to do. */
export function labOutputs(stack: string, outputs: Record<string, unknown>): LabOutputs {
  const missing = LAB_OUTPUT_KEYS.filter(
    (key) => typeof outputs[key] !== "string" || outputs[key] === "",
  );
  if (missing.length > 0) {
    throw new Error(
      `stack ${stack} has no output ${missing.join(", ")}: run \`pulumi up --stack ${stack}\` ` +
        "first (the registry and the Docker API come up at its end)",
    );
  }
  return outputs as unknown as LabOutputs;
}

export function contextName(stack: string): string {
  return `swarmlab-${stack}`;
}

export function planDockerContext(stack: string, outputs: LabOutputs, home: string): ContextPlan {
  const context = contextName(stack);
  const dir = path.join(home, ".docker", "swarmlab", stack);
  const file = (name: string) => path.join(dir, name);
  const docker = [
    `host=${outputs.dockerHost}`,
    `ca=${file("ca.pem")}`,
    `cert=${file("cert.pem")}`,
    `key=${file("key.pem")}`,
  ].join(",");
  return {
    context,
    dir,
    files: [
      { path: file("ca.pem"), content: outputs.caCertificate, mode: 0o644 },
      { path: file("cert.pem"), content: outputs.clientCertificate, mode: 0o644 },
      { path: file("key.pem"), content: outputs.clientKey, mode: 0o600 },
    ],
    commands: [
      { args: ["context", "rm", "--force", context], what: `remove an older context ${context}` },
      {
        args: [
          "context",
          "create",
          context,
          "--description",
          `swarmlab cluster of stack ${stack} (manager-0, mutual TLS)`,
          "--docker",
          docker,
        ],
        what: `create context ${context} for ${outputs.dockerHost}`,
      },
      {
        args: [
          "--context",
          context,
          "login",
          "--username",
          outputs.registryUser,
          "--password-stdin",
          outputs.registryInternal,
        ],
        stdin: outputs.registryPassword,
        what: `log in to the registry ${outputs.registryInternal} through ${context}`,
      },
    ],
  };
}

/** What the script prints when done: the next commands. */
export function nextSteps(plan: ContextPlan, outputs: LabOutputs): string {
  return [
    `docker context ${plan.context} is ready; try:`,
    `  docker --context ${plan.context} node ls`,
    `  docker --context ${plan.context} build -t ${outputs.registryInternal}/hello .`,
    `  docker --context ${plan.context} push ${outputs.registryInternal}/hello`,
    `Stacks name their images ${outputs.registryInternal}/<name>; every node trusts and reaches it.`,
  ].join("\n");
}
