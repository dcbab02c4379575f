/**
 * The application stacks as resources, after the ready gate and the registry:
 *   registry login  manager-0's Docker logged in to the cluster's registry (once);
 *   images          one per service with a build context: built on manager-0, pushed, tagged by
 *                   the context's hash (an unchanged context changes nothing, so runs nothing);
 *   stack           one per chosen stack: `docker stack deploy` of the resolved compose text,
 *                   waited until converged; `docker stack rm` when dropped or destroyed.
 * Every remote step is made by `onManager`, the one place that says how a script reaches a
 * manager: a ManagerStep, on the first manager that answers.
 *
 * TODO(issue 10): `docker login` is per manager, so the login step and the image builds (and the
 * deploys' --with-registry-auth) must run on the same manager; with the fallback they may not.
 * Fold the login into each script that needs it.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackChoice } from "../config/stacks-config";
import { ManagerStep } from "../swarm/manager-step";
import type { RemoteScript } from "../swarm/remote-scripts";
import type { ManagerAccess } from "../swarm/swarm";
import { contextDir, readContextFiles } from "./catalog";
import {
  CONTEXT_TAG_VARIABLE,
  loadStack,
  REGISTRY_VARIABLE,
  renderCompose,
  StackDefinition,
} from "./compose";
import { contextTag } from "./image-tag";
import { portUrl, publishedPorts } from "./published-ports";
import type { RegistryEndpoint } from "./registry-endpoint";
import {
  parseStackServices,
  registryLoginScript,
  ServiceStatus,
  stackImageScript,
  stackScript,
} from "./stack-scripts";

interface RemoteStep {
  access: ManagerAccess;
  /** Short words for messages: what the step does. */
  description: string;
  /** Runs on create, and again whenever the script or its stdin changes. */
  create: pulumi.Input<RemoteScript>;
  /** Runs on delete (and before a replacement). */
  delete?: pulumi.Input<RemoteScript>;
  /** stdout/stdin carry secrets: keep them out of logs and secret in the state. */
  secret?: boolean;
}

/** One script run on a manager. */
export function onManager(
  name: string,
  step: RemoteStep,
  opts: pulumi.CustomResourceOptions,
): ManagerStep {
  return new ManagerStep(
    name,
    {
      description: step.description,
      ...step.access,
      create: step.secret ? pulumi.secret(step.create) : step.create,
      ...(step.delete !== undefined ? { delete: step.delete } : {}),
      secretStdout: step.secret ?? false,
    },
    opts,
  );
}

export interface StackStatus {
  services: ServiceStatus[];
  /** `<service>:<port>` -> how to open it. */
  urls: Record<string, string>;
}

export interface LabStacksArgs {
  /** Every manager, in fallback order. */
  access: ManagerAccess;
  choices: readonly StackChoice[];
  /** Needed by stacks that build images; undefined until the cluster has a registry. */
  registry?: RegistryEndpoint;
  overlayMtu: pulumi.Input<number>;
  managerIp: pulumi.Input<string>;
  timeoutSeconds: number;
  /** The ready gate (and whatever else must be done before anything is deployed). */
  waitFor: pulumi.Resource[];
}

function loaded(name: string): StackDefinition {
  const result = loadStack(name);
  // The config validator refused such a stack at preview already; this is the backstop.
  if (!result.ok) throw new Error(`${result.file}: ${result.problems.join("; ")}`);
  return result.stack;
}

/** Every chosen stack, deployed and converged; `stacks` reports their services and URLs. */
export class LabStacks extends pulumi.ComponentResource {
  public readonly stacks: pulumi.Output<Record<string, StackStatus>>;

  constructor(name: string, args: LabStacksArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:stacks:LabStacks", name, {}, opts);
    const definitions = args.choices.map((choice) => ({ choice, stack: loaded(choice.name) }));
    const building = definitions.filter(({ stack }) => stack.services.some((s) => s.build));
    const { registry } = args;
    if (building.length > 0 && registry === undefined) {
      throw new Error(
        `stacks ${building.map((d) => d.choice.name).join(", ")} build images, which need the cluster's registry; this program has none yet`,
      );
    }
    const registryAddress = pulumi.output(registry?.address ?? "");
    // Only stacks that push images need the login (pulls of them reuse it: --with-registry-auth).
    const login =
      registry && building.length > 0
        ? onManager(
            `${name}-registry-login`,
            {
              access: args.access,
              description: "registry login",
              create: pulumi
                .all([registry.address, registry.user, registry.password])
                .apply(([address, user, password]) =>
                  registryLoginScript(address, user, password, args.timeoutSeconds),
                ),
              secret: true,
            },
            { parent: this, dependsOn: [...args.waitFor, ...registry.ready] },
          )
        : undefined;

    const statuses = definitions.map(({ choice, stack }) => {
      const tags: Record<string, string> = {};
      const images = stack.services.flatMap((service) => {
        if (!service.build) return [];
        const files = readContextFiles(contextDir(stack.name, service.build.context));
        const tag = contextTag(files);
        tags[service.name] = tag;
        const image = imageReference(stack, service.name, tag, registryAddress);
        const dockerfile = service.build.dockerfile;
        return [
          onManager(
            `${name}-${stack.name}-${service.name}-image`,
            {
              access: args.access,
              description: "image build and push",
              create: image.apply((ref) =>
                stackImageScript(ref, dockerfile, files, args.timeoutSeconds),
              ),
            },
            { parent: this, dependsOn: login ? [login] : args.waitFor },
          ),
        ];
      });
      const compose = pulumi
        .all([registryAddress, args.overlayMtu])
        .apply(([address, overlayMtu]) =>
          renderCompose(
            stack,
            { registry: address, overlayMtu, contextTags: tags },
            choice.services,
          ),
        );
      const deploy = onManager(
        `${name}-${stack.name}`,
        {
          access: args.access,
          description: "stack deploy",
          create: compose.apply((text) =>
            stackScript("deploy", stack.name, text, args.timeoutSeconds),
          ),
          delete: compose.apply((text) =>
            stackScript("remove", stack.name, text, args.timeoutSeconds),
          ),
        },
        {
          parent: this,
          dependsOn: [
            ...args.waitFor,
            ...(registry?.ready ?? []),
            ...(login ? [login] : []),
            ...images,
          ],
        },
      );
      const ports = publishedPorts(stack, choice.services);
      return pulumi.all([deploy.stdout, args.managerIp]).apply(([stdout, ip]) => [
        stack.name,
        {
          services: parseStackServices(stdout),
          urls: Object.fromEntries(ports.map((p) => [`${p.service}:${p.target}`, portUrl(p, ip)])),
        },
      ]);
    });
    this.stacks = pulumi
      .all(statuses)
      .apply((entries) => Object.fromEntries(entries) as Record<string, StackStatus>);
    this.registerOutputs({ stacks: this.stacks });
  }
}

/** The image a built service runs: its compose `image` with the registry and the context's tag. */
function imageReference(
  stack: StackDefinition,
  service: string,
  tag: string,
  registryAddress: pulumi.Output<string>,
): pulumi.Output<string> {
  const services = stack.document.services as Record<string, { image: string }>;
  return registryAddress.apply((address) =>
    services[service].image
      .split(`\${${REGISTRY_VARIABLE}}`)
      .join(address)
      .split(`\${${CONTEXT_TAG_VARIABLE}}`)
      .join(tag),
  );
}
