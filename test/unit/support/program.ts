/**
 * Runs the Pulumi program under mocks (the Pulumi engine cannot be installed here) and records
 * every resource with its inputs and the dependencies the SDK sent for it.
 *
 * The SDK and the program are loaded once per test file and run again for every case, as the
 * engine's language host runs one program per process: `setMocks` gives each run a new mock
 * monitor and settings, `setAllConfig` replaces the whole config map (runtime/config.js
 * persistConfig), and the program is a function with no state of its own between calls. (Loading
 * them anew per case, in a fresh jest module registry, kept every copy of the SDK and the
 * providers' SDKs alive: 14 GB for one test file.)
 *
 * Preview and update, as the engine does them (pkg/resource/deploy/step_generator.go): with
 * `preview`, a resource that is new or changed gets only its inputs back, so every output the
 * provider computes is unknown, and an apply on it never runs (runtime/resource.js
 * resolveOutputs: missing outputs are unknown in a dry run). A resource whose inputs equal its
 * state in `previousState` gets its stored outputs back, in preview and update alike; for a
 * ManagerStep "equal" is what its own provider's `diff` says, the function the engine calls.
 *
 * The `call` mock answers only the invokes mocked on purpose and throws on any other, so a new
 * data-source lookup cannot slip in untested.
 */
import type * as pulumiType from "@pulumi/pulumi";
import { hostKeyPinProvider } from "../../../infra/swarm/host-key-pin-provider";
import type {
  HostKeyPinInputs,
  HostKeyPinOutputs,
} from "../../../infra/swarm/host-key-pin-provider";
import { managerStepProvider } from "../../../infra/swarm/manager-step-provider";
import type {
  ManagerStepInputs,
  ManagerStepOutputs,
} from "../../../infra/swarm/manager-step-provider";
import type { RawConfig } from "../../../infra/config/validate";
import { engineStep } from "./provider-semantics";
import { engineConfig } from "../../../scripts/lib/engine-config";
import {
  CommandStdout,
  GlanceImages,
  HOST_KEY_PIN_SUFFIX,
  isSecretWire,
  MANAGER_STEP,
  mockInvoke,
  mockOutputs,
  SECRET_SIG,
} from "./mock-cloud";

export type { CommandStdout } from "./mock-cloud";
export {
  HOST_KEY_PIN_SUFFIX,
  MANAGER_STEP,
  mockHostKeyFingerprint,
  MOCK_BCRYPT_HASH,
  MOCK_CERTIFICATE_PEM,
  MOCK_DEFAULT_SUBNET,
  MOCK_EXISTING_SUBNETS,
  MOCK_GLANCE_IMAGES,
  MOCK_NETWORK_MTU,
  MOCK_PRIVATE_KEY_PEM,
  MOCK_REGISTRY_PASSWORD,
  MOCK_TOKENS,
  names,
  NO_ANSWER,
  swarmStdout,
} from "./mock-cloud";

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** Names of the resources this one depends on (from the URNs the SDK sent). */
  dependsOn: string[];
  /** Names of the resources whose replacement replaces this one (the `replaceWith` option). */
  replaceWith: string[];
  /** The `additionalSecretOutputs` option: outputs the engine must store as secrets. */
  additionalSecretOutputs: string[];
  /** The outputs the mock provider returned, in plain text as a real provider returns them. */
  outputs: Record<string, unknown>;
  /**
   * What the engine would do with it against `previousState`: create, update, replace, same, or
   * read (a StackReference is read anew by every preview and update).
   */
  step: "create" | "update" | "replace" | "same" | "read";
  /** The id the mock provider gave it (kept from the previous state when not replaced). */
  id: string;
  /** The resource options that decide what the engine does with a change. */
  options: RecordedOptions;
}

/** Options the SDK sent that the engine's step generator reads. */
export interface RecordedOptions {
  ignoreChanges: string[];
  replaceOnChanges: string[];
  /** The `replacementTrigger` value; undefined when not set. */
  trigger: unknown;
}

const EMPTY_OPTIONS: RecordedOptions = {
  ignoreChanges: [],
  replaceOnChanges: [],
  trigger: undefined,
};

export interface RunOptions {
  /** The stack outputs of the previous deployment (a self StackReference reads them). */
  previousOutputs?: Record<string, unknown>;
  /** The resources of the previous deployment, as the engine holds them in its state. */
  previousState?: RecordedResource[];
  /** `pulumi preview`: unknown outputs for what is created or changed (default: update). */
  preview?: boolean;
  /** The images Glance lists (default: mock-cloud.ts's MOCK_GLANCE_IMAGES). */
  glance?: GlanceImages;
  /**
   * Appended to the id of every resource created in this run (default none: `<name>-id`). A real
   * provider's Create returns the new object's own id (Docker a new container id): a resource
   * created again after a refresh dropped it must not get the id of the one that was lost.
   */
  createdIdSuffix?: string;
}

export interface ProgramRun {
  resources: RecordedResource[];
  byName(name: string): RecordedResource;
  ofType(type: string): RecordedResource[];
  exports: Record<string, unknown>;
  pulumi: typeof pulumiType;
  /** What the program threw, if it did (bad config): resources registered until then are kept. */
  error?: unknown;
}

function nameFromUrn(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/**
 * Runs the program for a stack whose Pulumi.<stack>.yaml holds `stackKeys`: the program reads
 * them over Pulumi.yaml's declared defaults, exactly as under the engine (engineConfig).
 */
export async function runProgram(
  stackKeys: RawConfig,
  stack: string,
  commandStdout: CommandStdout,
  /** The previous deployment's stack outputs, or every option of the run. */
  previous: Record<string, unknown> | RunOptions = {},
): Promise<ProgramRun> {
  const options: RunOptions =
    "previousOutputs" in previous ||
    "previousState" in previous ||
    "preview" in previous ||
    "glance" in previous ||
    "createdIdSuffix" in previous
      ? (previous as RunOptions)
      : { previousOutputs: previous as Record<string, unknown> };
  const previousOutputs = options.previousOutputs ?? {};
  const previousState = new Map((options.previousState ?? []).map((r) => [r.name, r]));
  const preview = options.preview ?? false;
  const createdIdSuffix = options.createdIdSuffix ?? "";
  const resources: RecordedResource[] = [];
  let programExports: Record<string, unknown> = {};
  let pulumiModule: typeof pulumiType | undefined;
  let error: unknown;
  const counters = { nextHost: 10, nextFloating: 10 };
  const config = engineConfig(stack, stackKeys);
  // The local cloud's pre-flight asks the Docker engine DOCKER_HOST names, else the machine's
  // own socket: a test must hand it a fake one (support/fake-engine.ts), never this machine's.
  if (config.cloud === "docker" && process.env.DOCKER_HOST === undefined) {
    throw new Error(
      "a program run with swarmlab:cloud docker needs an engine: call useFakeEngine() " +
        "(support/fake-engine.ts) at the top of the test file",
    );
  }

  {
    const pulumi = await sdk();
    pulumiModule = pulumi;
    const dependencies = new Map<string, string[]>();
    const replaceWith = new Map<string, string[]>();
    const secretOutputs = new Map<string, string[]>();
    const stepOptions = new Map<string, RecordedOptions>();
    await pulumi.runtime.setMocks(
      {
        async newResource(args) {
          const before = previousState.get(args.name);
          const options = stepOptions.get(args.name) ?? EMPTY_OPTIONS;
          const step = await stepAgainst(before, args, options);
          const record = (outputs: Record<string, unknown>, id: string) => {
            resources.push({
              type: args.type,
              name: args.name,
              inputs: args.inputs,
              dependsOn: dependencies.get(args.name) ?? [],
              replaceWith: replaceWith.get(args.name) ?? [],
              additionalSecretOutputs: secretOutputs.get(args.name) ?? [],
              outputs,
              step,
              id,
              options,
            });
            return { id, state: outputs };
          };
          // Unchanged: the engine keeps the stored outputs and calls no provider.
          if (before && step === "same") return record(before.outputs, before.id);
          // An update keeps the id; a replacement gets a new one, which a preview does not know.
          const keptId =
            step === "update" && before
              ? before.id
              : step === "replace"
                ? `${args.name}-id-replaced`
                : `${args.name}-id${createdIdSuffix}`;
          // Preview of a create or change: only the inputs are known. Reads happen in previews too.
          if (preview && step !== "read") {
            return record({ ...args.inputs }, step === "update" ? keptId : "");
          }
          const computed = mockOutputs(args, counters, commandStdout, previousOutputs);
          return record({ ...args.inputs, ...computed }, keptId);
        },
        call: (args) => mockInvoke(args, options.glance),
      },
      "swarmlab",
      stack,
      preview,
      // The organization of a local backend; the self StackReference names the stack with it.
      "organization",
    );
    // The mock API hides dependencies and options; read them off the requests on their way in.
    type RegisterRequest = {
      getName(): string;
      getDependenciesList(): string[];
      getReplaceWithList(): string[];
      getAdditionalsecretoutputsList(): string[];
      getIgnorechangesList(): string[];
      getReplaceonchangesList(): string[];
      getReplacementTrigger(): { toJavaScript(): unknown } | undefined;
    };
    const monitor = pulumi.runtime.getMonitor() as unknown as {
      registerResource(req: RegisterRequest, cb: unknown): unknown;
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      dependencies.set(req.getName(), req.getDependenciesList().map(nameFromUrn));
      replaceWith.set(req.getName(), req.getReplaceWithList().map(nameFromUrn));
      secretOutputs.set(req.getName(), req.getAdditionalsecretoutputsList());
      stepOptions.set(req.getName(), {
        ignoreChanges: req.getIgnorechangesList(),
        replaceOnChanges: req.getReplaceonchangesList(),
        trigger: req.getReplacementTrigger()?.toJavaScript(),
      });
      return register(req, cb);
    };
    pulumi.runtime.setAllConfig(
      Object.fromEntries(Object.entries(config).map(([k, v]) => [`swarmlab:${k}`, v])),
    );
    try {
      // The program is an async function, as the Nodejs runtime runs it: its result is the outputs.
      programExports = { ...(await (await program())()) };
    } catch (thrown) {
      error = thrown;
    }
    await settle(pulumi);
  }

  const pulumi = pulumiModule as typeof pulumiType;
  return {
    resources,
    byName(name) {
      const found = resources.find((r) => r.name === name);
      if (!found)
        throw new Error(
          `no resource named ${name}; have ${resources.map((r) => r.name).join(", ")}`,
        );
      return found;
    },
    ofType(type) {
      return resources.filter((r) => r.type === type);
    },
    exports: programExports,
    pulumi,
    ...(error !== undefined ? { error } : {}),
  };
}

/** The SDK, loaded once per test file (see the top of this file). */
function sdk(): Promise<typeof pulumiType> {
  return import("@pulumi/pulumi");
}

/** The program's entry point (infra/index.ts), loaded once per test file. */
async function program(): Promise<() => Promise<Record<string, unknown>>> {
  const entry = (await import("../../../infra/index")) as unknown as {
    default: () => Promise<Record<string, unknown>>;
  };
  return entry.default;
}

/** What the engine does with a dynamic resource whose provider's diff answered this. */
async function dynamicStep(
  diff: Promise<{ changes?: boolean; replaces?: string[] }>,
): Promise<RecordedResource["step"]> {
  const result = await diff;
  if (!result.changes) return "same";
  return (result.replaces ?? []).length > 0 ? "replace" : "update";
}

/**
 * What the engine's step generator makes of a registration against the stored state: a ManagerStep
 * or a HostKeyPin asks its provider's own diff (as the dynamic-provider host does); an OpenStack resource is
 * diffed by the provider's schema (infra/config/openstack-schema.ts, through
 * provider-semantics.ts) with the program's ignoreChanges, replaceOnChanges and
 * replacementTrigger; any other resource is unchanged exactly when its inputs are.
 */
async function stepAgainst(
  before: RecordedResource | undefined,
  args: { type: string; name: string; inputs: Record<string, unknown> },
  options: RecordedOptions,
): Promise<RecordedResource["step"]> {
  if (args.type === "pulumi:pulumi:StackReference") return "read";
  if (!before) return "create";
  if (args.type === MANAGER_STEP && args.name.endsWith(HOST_KEY_PIN_SUFFIX)) {
    return dynamicStep(
      hostKeyPinProvider.diff(
        before.id,
        before.outputs as unknown as HostKeyPinOutputs,
        args.inputs as unknown as HostKeyPinInputs,
      ),
    );
  }
  if (args.type === MANAGER_STEP) {
    return dynamicStep(
      managerStepProvider.diff(
        before.id,
        before.outputs as unknown as ManagerStepOutputs,
        args.inputs as unknown as ManagerStepInputs,
      ),
    );
  }
  if (args.type.startsWith("openstack:")) {
    return engineStep(args.type, before.inputs, args.inputs, {
      ignoreChanges: options.ignoreChanges,
      replaceOnChanges: options.replaceOnChanges,
      trigger: { old: before.options.trigger, new: options.trigger },
    }).step;
  }
  return JSON.stringify(before.inputs) === JSON.stringify(args.inputs) ? "same" : "update";
}

/** Waits until the SDK's queue of resource registrations has drained. */
async function settle(pulumi: typeof pulumiType): Promise<void> {
  await pulumi.runtime.disconnect();
}

/** The value of an Output (or a plain value, as some stack exports are). */
export function valueOf<T>(output: pulumiType.Output<T> | T): Promise<T> {
  const maybe = output as { apply?: unknown };
  if (typeof maybe?.apply !== "function") return Promise.resolve(output as T);
  return new Promise((resolve) => (output as pulumiType.Output<T>).apply((v) => resolve(v)));
}

/**
 * What the engine would store for a resource (`pulumi stack export`): its inputs and its outputs,
 * an output secret when its input was or when the program listed it in additionalSecretOutputs.
 * Under mocks the engine applies neither, so this applies them as the engine does.
 */
export function recordedState(resource: RecordedResource): Record<string, unknown> {
  const outputs = Object.fromEntries(
    Object.entries(resource.outputs).map(([key, value]) => [
      key,
      resource.additionalSecretOutputs.includes(key) && !isSecretWire(value)
        ? { [SECRET_SIG.key]: SECRET_SIG.value, value }
        : value,
    ]),
  );
  return { inputs: resource.inputs, outputs };
}

/** Paths of every string matching `pattern` in `value`, not counting what is inside a secret. */
export function plaintextPaths(value: unknown, pattern: RegExp, path = "$"): string[] {
  if (isSecretWire(value)) return [];
  if (typeof value === "string") return pattern.test(value) ? [path] : [];
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => plaintextPaths(item, pattern, `${path}[${index}]`));
  }
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) =>
      plaintextPaths(item, pattern, `${path}.${key}`),
    );
  }
  return [];
}

/** The value inside a secret input; fails if the input was not sent as a secret. */
export function secretValue(input: unknown): unknown {
  if (!isSecretWire(input)) throw new Error(`expected a secret, got ${JSON.stringify(input)}`);
  return input.value;
}

/** The stack outputs as the next deployment's self StackReference reads them: plain values. */
export async function plainOutputs(run: ProgramRun): Promise<Record<string, unknown>> {
  const entries = await Promise.all(
    Object.entries(run.exports).map(async ([key, value]) => [key, await valueOf(value)] as const),
  );
  return Object.fromEntries(entries);
}

/**
 * The next deployment of a stack, `previous` (a run, or a state made from one) being what the
 * engine holds; with the warnings the program logged (console.warn under mocks).
 */
export async function nextDeployment(
  previous: ProgramRun,
  stack: string,
  stackKeys: RawConfig,
  commandStdout: CommandStdout,
  options: { preview?: boolean; state?: RecordedResource[]; createdIdSuffix?: string } = {},
): Promise<{ run: ProgramRun; warnings: string[] }> {
  const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
  try {
    const run = await runProgram(stackKeys, stack, commandStdout, {
      previousOutputs: await plainOutputs(previous),
      previousState: options.state ?? previous.resources,
      preview: options.preview ?? false,
      ...(options.createdIdSuffix !== undefined
        ? { createdIdSuffix: options.createdIdSuffix }
        : {}),
    });
    if (run.error !== undefined) throw run.error;
    return { run, warnings: warn.mock.calls.map((call) => String(call[0])) };
  } finally {
    warn.mockRestore();
  }
}
