/**
 * The clouds the program talks to, mocked: what each provider (openstack, tls, random, command,
 * the ManagerStep dynamic provider) computes for a resource it creates, and the invokes the
 * program makes. One copy, used by the in-process runner (program.ts) and by the language-host
 * run (langhost-run.cjs), so both see the same "cloud".
 *
 * The values stand for what the real providers return: a port's fixed IP, a floating IP's
 * address, a network's MTU (1450, a VXLAN tenant network), an instance echoing its metadata
 * (terraform-provider-openstack sets all_metadata from Nova's answer), tls keys and certificates.
 */
export const MOCK_NETWORK_MTU = 1450;
/** The type of every dynamic resource under mocks: ManagerStep (infra/swarm/manager-step.ts). */
export const MANAGER_STEP = "pulumi-nodejs:dynamic:Resource";
/** The IPv4 subnet of an existing network, by network name; any other has MOCK_DEFAULT_SUBNET. */
export const MOCK_EXISTING_SUBNETS: Record<string, string> = {
  "campus-net": "10.200.0.0/16",
  "tiny-net": "192.168.10.0/29",
};
export const MOCK_DEFAULT_SUBNET = "192.168.10.0/24";
/** Existing networks with no router on them; every other one has a router interface port. */
export const MOCK_NETWORKS_WITHOUT_ROUTER: readonly string[] = ["isolated-net"];
export const MOCK_TOKENS = {
  worker: "SWMTKN-1-mockworkertoken000000000000000000000000000000000-abcdefghijklmnopqrstuvwxy",
  manager: "SWMTKN-1-mockmanagertoken00000000000000000000000000000000-zyxwvutsrqponmlkjihgfedcb",
};

/** HostKeyPin resources (also dynamic) are named `<node>-host-key`. */
export const HOST_KEY_PIN_SUFFIX = "-host-key";

/** The fingerprint a mocked server shows: `SHA256:` and a base64 made from its id. */
export function mockHostKeyFingerprint(serverId: string): string {
  return `SHA256:${Buffer.from(`mock host key of ${serverId}`).toString("base64").replace(/=+$/, "")}`;
}

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

/** Pulumi's wire marker of a secret value, as the mock monitor receives it. */
export const SECRET_SIG = {
  key: "4dabf18193072939515e22adb298388d",
  value: "1b47061264138c4ac30d75fd1eb44270",
};

export function isSecretWire(value: unknown): value is { value: unknown } {
  return (value as Record<string, unknown> | undefined)?.[SECRET_SIG.key] === SECRET_SIG.value;
}

export function unwrapSecret(value: unknown): unknown {
  return isSecretWire(value) ? value.value : value;
}

/** A recorded input with every secret in it opened, at any depth (the SDK sends them wrapped). */
export function openSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(openSecrets);
  if (isSecretWire(value)) return openSecrets(value.value);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, openSecrets(v)]));
  }
  return value;
}

export interface MockResourceArgs {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

/** Counters that hand out addresses in registration order. */
export interface MockCounters {
  nextHost: number;
  nextFloating: number;
}

/** The outputs a provider computes for `args` on create (the inputs come back beside them). */
export function mockOutputs(
  args: MockResourceArgs,
  counters: MockCounters,
  commandStdout: CommandStdout,
  previousOutputs: Record<string, unknown>,
): Record<string, unknown> {
  const computed: Record<string, unknown> = {};
  switch (args.type) {
    case "openstack:networking/port:Port":
      computed.allFixedIps = [`10.42.0.${counters.nextHost++}`];
      break;
    case "openstack:networking/floatingIp:FloatingIp":
      computed.address = `203.0.113.${counters.nextFloating++}`;
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
      if (args.name.endsWith(HOST_KEY_PIN_SUFFIX)) {
        // A HostKeyPin (infra/swarm/host-key-pin.ts): the fingerprint its server showed, one
        // per server id as on a real cloud (each new server makes its own host key).
        computed.fingerprint = mockHostKeyFingerprint(String(args.inputs.serverId));
        break;
      }
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
  return computed;
}

/**
 * Glance, as the provider's image data source sees it: image name -> ids of the visible images of
 * that name, oldest first. "Ubuntu 22.04" is Pulumi.yaml's default image; "Rocky 9" is uploaded
 * twice (two visible images of one name, e.g. a project's own copy beside the public one).
 */
export type GlanceImages = Record<string, readonly string[]>;
export const MOCK_GLANCE_IMAGES: GlanceImages = {
  "Ubuntu 22.04": ["0b7f2a53-4a5e-4f59-9d2b-1c1f1f3d7a01"],
  "Ubuntu 24.04": ["5d0e8f1a-6b2c-4d3e-9f40-a1b2c3d4e5f6"],
  "Debian 12": ["c4d5e6f7-0a1b-4c2d-8e3f-405162738495"],
  "Rocky 9": ["1a2b3c4d-0000-4000-8000-000000000001", "1a2b3c4d-0000-4000-8000-000000000002"],
};

/**
 * `openstack.images.getImage` (`openstack:images/getImage:getImage`) as the provider answers it:
 * terraform-provider-openstack v1.54.1, openstack/data_source_openstack_images_image_v2.go, lists
 * the images matching the filters (here: the name) and fails with "Your query returned no
 * results. Please change your search criteria and try again." for none, with "Your query returned
 * more than one result. Please try a more specific search criteria, or set `most_recent` attribute
 * to true." for several unless `most_recent` is set (then the newest, by created_at, wins). The
 * answer carries the image's attributes (getImage.d.ts, GetImageResult); the program reads `id`.
 */
export function glanceImage(
  images: GlanceImages,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  const name = String(inputs.name);
  const ids = images[name] ?? [];
  if (ids.length === 0) {
    throw invokeError(
      "Your query returned no results. Please change your search criteria and try again.",
    );
  }
  if (ids.length > 1 && inputs.mostRecent !== true) {
    throw invokeError(
      "Your query returned more than one result. Please try a more specific search criteria, " +
        "or set `most_recent` attribute to true.",
    );
  }
  return { id: ids[ids.length - 1], name, mostRecent: inputs.mostRecent === true };
}

/**
 * A failed invoke as the engine answers it: a gRPC error (code 2, UNKNOWN) whose `details` hold
 * the provider's message; the SDK rethrows `new Error(err.details)` (runtime/invoke.js), so the
 * program sees the provider's words. A bare Error would reach it with an empty message.
 */
function invokeError(message: string): Error {
  return Object.assign(new Error(message), { code: 2, details: message });
}

/** The invokes mocked on purpose; any other throws, so a new lookup cannot slip in untested. */
export function mockInvoke(
  args: { token: string; inputs: Record<string, unknown> },
  images: GlanceImages = MOCK_GLANCE_IMAGES,
) {
  if (args.token === "openstack:images/getImage:getImage") return glanceImage(images, args.inputs);
  if (args.token === "openstack:networking/getNetwork:getNetwork") {
    const name = String(args.inputs.name);
    return { id: `${name}-network-id`, name, mtu: MOCK_NETWORK_MTU };
  }
  if (args.token === "openstack:networking/getSubnet:getSubnet") {
    const name = String(args.inputs.networkId).replace(/-network-id$/, "");
    const cidr = MOCK_EXISTING_SUBNETS[name] ?? MOCK_DEFAULT_SUBNET;
    return { id: `${name}-subnet-id`, networkId: args.inputs.networkId, cidr };
  }
  if (args.token === "openstack:networking/getPortIds:getPortIds") {
    // Neutron's port list filtered by network and device_owner, as the provider's
    // data_source_openstack_networking_port_ids_v2.go asks it: the ids, possibly none (no error).
    // A router's interface port is owned by "network:router_interface".
    const name = String(args.inputs.networkId).replace(/-network-id$/, "");
    const routed = !MOCK_NETWORKS_WITHOUT_ROUTER.includes(name);
    const isRouterPort = args.inputs.deviceOwner === "network:router_interface";
    return { ids: routed && isRouterPort ? [`${name}-router-port-id`] : [] };
  }
  throw new Error(`unexpected invoke ${args.token}: mock it on purpose if the program needs it`);
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
