/**
 * The steps of swarmlab:stackExternals: the external secrets and networks the chosen stacks name
 * (declared ones no chosen stack names are not made) and every declared node label, each a
 * ManagerStep that the stack steps depend on, so they exist before a stack deploys and go only
 * after it is removed. A secret's value is a Pulumi secret end to end: `generate: true` makes a
 * RandomPassword; `value` is read from the config as a secret here (LabConfig never holds it);
 * either reaches the manager only as the step's secret stdin.
 */
import * as random from "@pulumi/random";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE } from "../config/keys";
import { nodeName } from "../config/naming";
import { EXTERNALS_KEY, StackExternals } from "../config/stack-externals";
import { ManagerStep } from "../swarm/manager-step";
import type { ManagerAccess } from "../swarm/swarm";
import type { StackDefinition } from "./compose";
import {
  ExternalScripts,
  externalNetworkScripts,
  externalSecretScripts,
  externalSecretStdin,
  nodeLabelScripts,
} from "./external-scripts";

export interface ExternalsArgs {
  access: ManagerAccess;
  owner: string;
  declared: StackExternals;
  stacks: readonly StackDefinition[];
  overlayMtu: pulumi.Input<number>;
  timeoutSeconds: number;
  waitFor: pulumi.Resource[];
}

/** Which declared secrets and networks the chosen stacks name, sorted. */
export function usedExternals(
  stacks: readonly StackDefinition[],
  declared: StackExternals,
): { secrets: string[]; networks: string[] } {
  const named = (kind: "secrets" | "networks") =>
    [...new Set(stacks.flatMap((stack) => [...stack.externals[kind].keys()]))]
      .filter((name) => declared[kind][name] !== undefined)
      .sort();
  return { secrets: named("secrets"), networks: named("networks") };
}

/** True when the chosen stacks need some external, or some node is to be labelled. */
export function needsExternals(
  stacks: readonly StackDefinition[],
  declared: StackExternals,
): boolean {
  const used = usedExternals(stacks, declared);
  const labelled = Object.values(declared.nodeLabels).some((l) => Object.keys(l).length > 0);
  return used.secrets.length > 0 || used.networks.length > 0 || labelled;
}

/** A secret's `value` as the config holds it: a Pulumi secret from the first read. */
function configuredValue(name: string): pulumi.Output<string> {
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  return config
    .requireSecretObject<{ secrets?: Record<string, { value?: unknown }> }>(EXTERNALS_KEY)
    .apply((value) => {
      const text = value.secrets?.[name]?.value;
      if (typeof text !== "string" || text === "") {
        throw new Error(`${CONFIG_NAMESPACE}:${EXTERNALS_KEY}.secrets.${name}.value is not set`);
      }
      return text;
    });
}

export class LabStackExternals extends pulumi.ComponentResource {
  /** Every step: the stack steps depend on all of them. */
  public readonly steps: ManagerStep[];
  /** The generated secrets' values, by name (a secret output: e.g. a database password to type). */
  public readonly generatedSecrets: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ExternalsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarmlab:stacks:LabStackExternals", name, {}, opts);
    const child = { parent: this };
    const { declared } = args;
    const used = usedExternals(args.stacks, declared);
    const step = (
      stepName: string,
      description: string,
      scripts: pulumi.Output<ExternalScripts> | ExternalScripts,
      extra: { secretStdin?: pulumi.Input<string>; triggers?: unknown[] } = {},
    ) => {
      const output = pulumi.output(scripts);
      return new ManagerStep(
        stepName,
        {
          ...args.access,
          description,
          create: output.apply((s) => s.create),
          delete: output.apply((s) => s.delete),
          ...(extra.secretStdin !== undefined ? { secretStdin: extra.secretStdin } : {}),
          ...(extra.triggers !== undefined ? { triggers: extra.triggers } : {}),
        },
        { ...child, dependsOn: args.waitFor },
      );
    };

    const generated: Record<string, pulumi.Output<string>> = {};
    const secretSteps = used.secrets.map((secret) => {
      let value: pulumi.Output<string>;
      if (declared.secrets[secret].source === "generate") {
        const password = new random.RandomPassword(
          `${name}-password-${secret}`,
          // Letters and digits: a student may have to type it (MediaWiki's installer).
          { length: 32, special: false },
          child,
        );
        value = pulumi.secret(password.result);
        generated[secret] = value;
      } else {
        value = configuredValue(secret);
      }
      const scripts = externalSecretScripts(secret);
      return step(`${name}-secret-${secret}`, scripts.description, scripts, {
        secretStdin: pulumi.secret(value.apply(externalSecretStdin)),
      });
    });
    const networkSteps = used.networks.map((network) =>
      step(
        `${name}-network-${network}`,
        `external network ${network}`,
        pulumi
          .output(args.overlayMtu)
          .apply((mtu) =>
            externalNetworkScripts(
              network,
              mtu,
              declared.networks[network].attachable,
              args.timeoutSeconds,
            ),
          ),
      ),
    );
    const labelSteps = Object.entries(declared.nodeLabels)
      .filter(([, labels]) => Object.keys(labels).length > 0)
      .map(([ref, labels]) => {
        const [role, index] = ref.split("-") as ["manager" | "worker", string];
        const node = nodeName(args.owner, role, Number(index));
        // A change of labels replaces the step: the old ones are removed, the new ones set.
        const scripts = nodeLabelScripts(node, labels);
        return step(`${name}-labels-${ref}`, scripts.description, scripts, {
          triggers: [JSON.stringify(labels)],
        });
      });
    this.steps = [...secretSteps, ...networkSteps, ...labelSteps];
    this.generatedSecrets = pulumi.secret(pulumi.all(generated));
    this.registerOutputs({ generatedSecrets: this.generatedSecrets });
  }
}
