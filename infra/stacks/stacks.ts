/**
 * The application stacks as resources, after the ready gate and the registry:
 *   images  one step per service with a build context: built on a manager, logged in and pushed,
 *           tagged by the context's hash (an unchanged context changes nothing, so runs nothing);
 *   stack   one step per chosen stack: `docker stack deploy` of the resolved compose text, waited
 *           until converged; `docker stack rm` when dropped or destroyed.
 * Each is a ManagerStep on the first manager that answers (stack-steps.ts says what it runs). A
 * step that needs the registry logs in itself, with the credentials as its secret stdin: `docker
 * login` holds for one manager only, and the next step may run on another.
 */
import * as pulumi from "@pulumi/pulumi";
import { NO_EXTERNALS, StackExternals } from "../config/stack-externals";
import type { StackChoice } from "../config/stacks-config";
import { ManagerStep } from "../swarm/manager-step";
import type { RemoteScript } from "../swarm/remote-scripts";
import type { ManagerAccess } from "../swarm/swarm";
import { folderOf, stackFolders } from "./catalog";
import { loadStack, StackDefinition } from "./compose";
import { LabStackExternals, needsExternals } from "./externals";
import { PublishedPort, portKey, portUrl, publishedPorts } from "./published-ports";
import { renderStack } from "./render-compose";
import type { RegistryEndpoint } from "./registry-endpoint";
import { parseStackServices, registryCredentials, ServiceStatus } from "./stack-scripts";
import { builtImages, imageStep, stackStep, StepScripts } from "./stack-steps";

export interface StackStatus {
  services: ServiceStatus[];
  /** `<service>:<port>` (`/udp` added for UDP) -> how to open it. */
  urls: Record<string, string>;
}

export interface LabStacksArgs {
  /** Every manager, in fallback order. */
  access: ManagerAccess;
  choices: readonly StackChoice[];
  /** Where stacks are looked for (stackFolders of swarmlab:stacksDir). Default: stacks/ alone. */
  folders?: readonly string[];
  /** The student: node labels go on `<owner>-worker-0` etc. */
  owner: string;
  /** swarmlab:stackExternals. Default none. */
  externals?: StackExternals;
  /** Needed by stacks that build images; undefined until the cluster has a registry. */
  registry?: RegistryEndpoint;
  overlayMtu: pulumi.Input<number>;
  managerIp: pulumi.Input<string>;
  /**
   * How the `stacks` output opens a port. Default portUrl (the floating IP, or a node for host
   * mode); the local cloud's forwarders on 127.0.0.1 give localPortUrl.
   */
  portUrl?: (port: PublishedPort, managerIp: string) => string;
  timeoutSeconds: number;
  /** The ready gate (and whatever else must be done before anything is deployed). */
  waitFor: pulumi.Resource[];
}

/** Stands in for the registry's address where a step's text is rendered before it is known. */
const PLACEHOLDER_ADDRESS = "registry.invalid:5000";

function loaded(name: string, folders: readonly string[]): StackDefinition {
  const result = loadStack(name, folderOf(name, folders));
  // The config validator refused such a stack at preview already; this is the backstop.
  if (!result.ok) throw new Error(`${result.file}: ${result.problems.join("; ")}`);
  return result.stack;
}

/** Every chosen stack, deployed and converged; `stacks` reports their services and URLs. */
export class LabStacks extends pulumi.ComponentResource {
  public readonly stacks: pulumi.Output<Record<string, StackStatus>>;
  /** Values of the external secrets swarmlab generated (`generate: true`), by name: a secret. */
  public readonly generatedSecrets: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: LabStacksArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:stacks:LabStacks", name, {}, opts);
    const { registry } = args;
    const registryAddress = pulumi.output(registry?.address ?? "");
    // Secret (the password): only ever a step's secretStdin, never part of a script.
    const credentials =
      registry &&
      pulumi
        .all([registry.address, registry.user, pulumi.secret(registry.password)])
        .apply(([address, user, password]) => registryCredentials({ address, user, password }));

    /**
     * One ManagerStep running `scripts` (known once the registry's address is), logged in where
     * it needs to be. `plain` is the same step's scripts with a placeholder address: what of the
     * step does not depend on the address (its description, whether it needs the registry).
     */
    const onManager = (
      stepName: string,
      plain: StepScripts,
      scripts: pulumi.Output<StepScripts>,
      dependsOn: pulumi.Resource[],
    ): ManagerStep => {
      const { needsRegistry } = plain;
      if (needsRegistry && credentials === undefined) {
        throw new Error(
          `${stepName}: its stack builds or pulls images from the cluster's registry; this program has none yet`,
        );
      }
      // The credentials first (lib-registry-login.sh reads them), then the stack's files.
      const secretStdin =
        needsRegistry || plain.secretStdin !== undefined
          ? pulumi
              .all([needsRegistry ? credentials : "", scripts.apply((s) => s.secretStdin ?? "")])
              .apply(([login, files]) => `${login ?? ""}${files}`)
          : undefined;
      return new ManagerStep(
        stepName,
        {
          ...args.access,
          description: plain.description,
          create: scripts.apply((s) => s.create),
          ...(plain.delete ? { delete: scripts.apply((s) => s.delete as RemoteScript) } : {}),
          ...(secretStdin !== undefined ? { secretStdin } : {}),
        },
        { parent: this, dependsOn: [...args.waitFor, ...(registry?.ready ?? []), ...dependsOn] },
      );
    };

    const urlOf = args.portUrl ?? portUrl;
    const folders = args.folders ?? stackFolders();
    const definitions = args.choices.map((choice) => loaded(choice.name, folders));
    const declared = args.externals ?? NO_EXTERNALS;
    // No component at all when nothing is external: a cluster without externals keeps its tree.
    const externals = needsExternals(definitions, declared)
      ? new LabStackExternals(
          `${name}-externals`,
          {
            access: args.access,
            owner: args.owner,
            declared,
            stacks: definitions,
            overlayMtu: args.overlayMtu,
            timeoutSeconds: args.timeoutSeconds,
            waitFor: args.waitFor,
          },
          { parent: this },
        )
      : undefined;
    const externalSteps = externals?.steps ?? [];
    this.generatedSecrets =
      externals?.generatedSecrets ?? pulumi.secret<Record<string, string>>({});

    const statuses = args.choices.map((choice, index) => {
      const stack = definitions[index];
      const built = builtImages(stack);
      const images = built.map((image) => {
        const step = (address: string) => imageStep(stack, image, address, args.timeoutSeconds);
        return onManager(
          `${name}-${stack.name}-${image.service}-image`,
          step(PLACEHOLDER_ADDRESS),
          registryAddress.apply(step),
          [],
        );
      });
      const contextTags = Object.fromEntries(built.map((image) => [image.service, image.tag]));
      const step = (address: string, overlayMtu: number) =>
        stackStep(
          stack,
          renderStack(stack, { registry: address, overlayMtu, contextTags }, choice.services),
          args.timeoutSeconds,
        );
      const deploy = onManager(
        `${name}-${stack.name}`,
        step(PLACEHOLDER_ADDRESS, 1400),
        pulumi.all([registryAddress, args.overlayMtu]).apply(([a, mtu]) => step(a, mtu)),
        [...images, ...externalSteps],
      );
      const ports = publishedPorts(stack, choice.services);
      return pulumi.all([deploy.stdout, args.managerIp]).apply(([stdout, ip]) => [
        stack.name,
        {
          services: parseStackServices(stdout),
          urls: Object.fromEntries(ports.map((p) => [portKey(p), urlOf(p, ip)])),
        },
      ]);
    });
    this.stacks = pulumi
      .all(statuses)
      .apply((entries) => Object.fromEntries(entries) as Record<string, StackStatus>);
    this.registerOutputs({ stacks: this.stacks, generatedSecrets: this.generatedSecrets });
  }
}
