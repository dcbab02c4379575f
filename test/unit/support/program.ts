/**
 * Runs the Pulumi program under mocks (the Pulumi engine cannot be installed here) and records
 * every resource with its inputs and the dependencies the SDK sent for it.
 *
 * Each run uses a fresh module registry, so Pulumi's runtime state and the program's module
 * side effects start clean. The `call` mock answers only the invokes mocked on purpose and throws
 * on any other, so a new data-source lookup cannot slip in untested.
 */
import type * as pulumiType from "@pulumi/pulumi";
import type { RawConfig } from "../../../infra/config/validate";
import { engineConfig } from "../../../scripts/lib/engine-config";

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

export const MOCK_NETWORK_MTU = 1450;
/** The type of every dynamic resource under mocks: ManagerStep (infra/swarm/manager-step.ts). */
export const MANAGER_STEP = "pulumi-nodejs:dynamic:Resource";
/** The IPv4 subnet of an existing network, by network name; any other has MOCK_DEFAULT_SUBNET. */
export const MOCK_EXISTING_SUBNETS: Record<string, string> = {
  "campus-net": "10.200.0.0/16",
  "tiny-net": "192.168.10.0/29",
};
export const MOCK_DEFAULT_SUBNET = "192.168.10.0/24";
export const MOCK_TOKENS = {
  worker: "SWMTKN-1-mockworkertoken000000000000000000000000000000000-abcdefghijklmnopqrstuvwxy",
  manager: "SWMTKN-1-mockmanagertoken00000000000000000000000000000000-zyxwvutsrqponmlkjihgfedcb",
};

/** What a mocked ManagerStep's stdout function returns to play "no manager answered". */
export const NO_ANSWER = "<no manager answered>";
/** A real (self-signed, ECDSA) certificate: what the mocked tls provider returns as every cert. */
export const MOCK_CERTIFICATE_PEM = `-----BEGIN CERTIFICATE-----
MIIBizCCATGgAwIBAgIUQEOBhVDeXNGHzE0XIw3hGjkGw/IwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQc3dhcm1sYWIgbW9jayBDQTAeFw0yNjExMjMxODIzMjdaFw0z
NjExMjAxODIzMjdaMBsxGTAXBgNVBAMMEHN3YXJtbGFiIG1vY2sgQ0EwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAARc6yaF7WLdFfabAb4g7SyXo22AX5XdjcxDwxXP
wrfYfijU4+dk+/x1v6/7N9oYpSLCt0IvckwwNFPIG7laAy7wo1MwUTAdBgNVHQ4E
FgQUy1JEpqLtyu6yQxlI5tMdw3O45QkwHwYDVR0jBBgwFoAUy1JEpqLtyu6yQxlI
5tMdw3O45QkwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEA6REa
8xm3YnnM95eQq3PlQ0q0O4eGV5LJRrC2xQ/N/QQCIE+JPCiImcMYkJ/192/Gmw7q
3mw7ehpDLNS3FsP3TmcP
-----END CERTIFICATE-----
`;
export const MOCK_PRIVATE_KEY_PEM =
  "-----BEGIN PRIVATE KEY-----\nmock\n-----END PRIVATE KEY-----\n";
export const MOCK_REGISTRY_PASSWORD = "mockRegistryPassword0123456789ab";
export const MOCK_BCRYPT_HASH = `$2a$10$${"a".repeat(53)}`;

/** Stdout the mocked remote commands print, keyed by the suffix of the command's name. */
export type CommandStdout = Record<string, (inputs: Record<string, unknown>) => string>;

/**
 * What a step prints when a test gives it nothing to print: a stack deploy
 * (templates/swarm-stack.sh) its services' JSON line, as the script does on success (no service
 * listed); any other step nothing.
 */
function defaultStdout(inputs: Record<string, unknown>): string {
  const create = inputs.create as { command?: unknown } | undefined;
  return /^bash -s -- deploy /.test(String(create?.command ?? "")) ? "[]\n" : "";
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
  /** The stack outputs of the previous deployment (a self StackReference reads them). */
  previousOutputs: Record<string, unknown> = {},
): Promise<ProgramRun> {
  const resources: RecordedResource[] = [];
  let programExports: Record<string, unknown> = {};
  let pulumiModule: typeof pulumiType | undefined;
  let error: unknown;
  let nextHost = 10;
  let nextFloating = 10;
  const config = engineConfig(stack, stackKeys);

  await jestIsolated(async () => {
    const pulumi = await import("@pulumi/pulumi");
    pulumiModule = pulumi;
    const dependencies = new Map<string, string[]>();
    const replaceWith = new Map<string, string[]>();
    const secretOutputs = new Map<string, string[]>();
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          const computed: Record<string, unknown> = {};
          switch (args.type) {
            case "openstack:networking/port:Port":
              computed.allFixedIps = [`10.42.0.${nextHost++}`];
              break;
            case "openstack:networking/floatingIp:FloatingIp":
              computed.address = `203.0.113.${nextFloating++}`;
              break;
            case "openstack:networking/network:Network":
              computed.mtu = MOCK_NETWORK_MTU;
              break;
            case "pulumi:pulumi:StackReference":
              computed.outputs = previousOutputs;
              break;
            case "openstack:compute/instance:Instance":
              // Like the provider: the metadata echoed back, the provider knows of no secret.
              computed.allMetadata = unwrapSecret(args.inputs.metadata);
              break;
            case "tls:index/privateKey:PrivateKey":
              computed.privateKeyOpenssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nmock\n";
              computed.publicKeyOpenssh = "ssh-rsa AAAAmock";
              computed.privateKeyPem = MOCK_PRIVATE_KEY_PEM;
              break;
            case "tls:index/selfSignedCert:SelfSignedCert":
            case "tls:index/locallySignedCert:LocallySignedCert":
              computed.certPem = MOCK_CERTIFICATE_PEM;
              break;
            case "tls:index/certRequest:CertRequest":
              computed.certRequestPem = "-----BEGIN CERTIFICATE REQUEST-----\nmock\n";
              break;
            case "random:index/randomPassword:RandomPassword":
              computed.result = MOCK_REGISTRY_PASSWORD;
              computed.bcryptHash = MOCK_BCRYPT_HASH;
              break;
            case "command:remote:Command": {
              const suffix = Object.keys(commandStdout).find((s) => args.name.endsWith(s));
              computed.stdout = suffix ? commandStdout[suffix](args.inputs) : "";
              computed.stderr = "";
              break;
            }
            case MANAGER_STEP: {
              // A ManagerStep (dynamic provider): the first manager answers, or none is given.
              const suffix = Object.keys(commandStdout).find((s) => args.name.endsWith(s));
              const managers = (args.inputs.managers ?? []) as string[];
              const printed =
                managers.length === 0
                  ? ""
                  : suffix
                    ? commandStdout[suffix](args.inputs)
                    : defaultStdout(args.inputs);
              const answeredBy = printed === NO_ANSWER ? "" : (managers[0] ?? "");
              computed.stdout = answeredBy ? printed : "";
              computed.stderr = "";
              computed.answeredBy = answeredBy;
              computed.skipped = answeredBy === "";
              break;
            }
          }
          const outputs = { ...args.inputs, ...computed };
          resources.push({
            type: args.type,
            name: args.name,
            inputs: args.inputs,
            dependsOn: dependencies.get(args.name) ?? [],
            replaceWith: replaceWith.get(args.name) ?? [],
            additionalSecretOutputs: secretOutputs.get(args.name) ?? [],
            outputs,
          });
          return { id: `${args.name}-id`, state: outputs };
        },
        call(args) {
          if (args.token === "openstack:networking/getNetwork:getNetwork") {
            const name = String(args.inputs.name);
            return { id: `${name}-network-id`, name, mtu: MOCK_NETWORK_MTU };
          }
          if (args.token === "openstack:networking/getSubnet:getSubnet") {
            const name = String(args.inputs.networkId).replace(/-network-id$/, "");
            const cidr = MOCK_EXISTING_SUBNETS[name] ?? MOCK_DEFAULT_SUBNET;
            return { id: `${name}-subnet-id`, networkId: args.inputs.networkId, cidr };
          }
          throw new Error(
            `unexpected invoke ${args.token}: mock it on purpose if the program needs it`,
          );
        },
      },
      "swarmlab",
      stack,
      false,
      // The organization of a local backend; the self StackReference names the stack with it.
      "organization",
    );
    // The mock API hides dependencies and options; read them off the requests on their way in.
    type RegisterRequest = {
      getName(): string;
      getDependenciesList(): string[];
      getReplaceWithList(): string[];
      getAdditionalsecretoutputsList(): string[];
    };
    const monitor = pulumi.runtime.getMonitor() as unknown as {
      registerResource(req: RegisterRequest, cb: unknown): unknown;
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      dependencies.set(req.getName(), req.getDependenciesList().map(nameFromUrn));
      replaceWith.set(req.getName(), req.getReplaceWithList().map(nameFromUrn));
      secretOutputs.set(req.getName(), req.getAdditionalsecretoutputsList());
      return register(req, cb);
    };
    pulumi.runtime.setAllConfig(
      Object.fromEntries(Object.entries(config).map(([k, v]) => [`swarmlab:${k}`, v])),
    );
    try {
      // The program is an async function, as the Nodejs runtime runs it: its result is the outputs.
      const program = (await import("../../../infra/index")) as unknown as {
        default: () => Promise<Record<string, unknown>>;
      };
      programExports = { ...(await program.default()) };
    } catch (thrown) {
      error = thrown;
    }
    await settle(pulumi);
  });

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

async function jestIsolated(body: () => Promise<void>): Promise<void> {
  let failure: unknown;
  await jest.isolateModulesAsync(async () => {
    try {
      await body();
    } catch (error) {
      failure = error;
    }
  });
  if (failure !== undefined) throw failure;
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

/** Pulumi's wire marker of a secret value, as the mock monitor receives it. */
const SECRET_SIG = {
  key: "4dabf18193072939515e22adb298388d",
  value: "1b47061264138c4ac30d75fd1eb44270",
};

function isSecretWire(value: unknown): value is { value: unknown } {
  return (value as Record<string, unknown> | undefined)?.[SECRET_SIG.key] === SECRET_SIG.value;
}

function unwrapSecret(value: unknown): unknown {
  return isSecretWire(value) ? value.value : value;
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

/** What the bootstrap and the ready gate print for a cluster of these nodes, all Ready. */
export function swarmStdout(names: string[]): CommandStdout {
  return {
    "-tokens": () => JSON.stringify({ ...MOCK_TOKENS, joinAddr: "10.42.0.10:2377" }),
    "-check": () =>
      JSON.stringify(
        names.map((name) => ({
          name,
          role: name.includes("-manager-") ? "manager" : "worker",
          state: "ready",
          availability: "active",
          managerStatus: name.endsWith("manager-0")
            ? "Leader"
            : name.includes("-manager-")
              ? "Reachable"
              : "",
        })),
      ),
  };
}

/** `<owner>-manager-<i>` and `<owner>-worker-<i>`, as the program names its nodes. */
export function names(owner: string, managers: number, workers: number): string[] {
  return [
    ...Array.from({ length: managers }, (_, i) => `${owner}-manager-${i}`),
    ...Array.from({ length: workers }, (_, i) => `${owner}-worker-${i}`),
  ];
}
