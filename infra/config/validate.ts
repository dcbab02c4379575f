/**
 * Pure validation of the raw `swarmlab:` config strings into a LabConfig. Every problem is
 * collected (never first-error-wins), each naming the key, the bad value and the fix, so a
 * teacher preparing thirty stacks sees everything wrong with one stack in one preview.
 *
 * Hand-written rather than a schema library: most rules are cross-field (btrfs needs a volume,
 * the swarm pool must avoid the subnet, data-root clashes with the volume) and the messages must
 * say how to fix the value, which generic schema messages do not.
 */
import { totalmem } from "node:os";
import { Ipv4Cidr, isIpv4Address, parseIpv4Cidr } from "./cidr";
import { describeCoverage, publicCoverage } from "./cidr-coverage";
import type { LabConfig } from "./config";
import { CONFIG_NAMESPACE, type ConfigKey, isConfigKey } from "./keys";
import { KNOWN_DAEMON_KEYS, refusedDaemonKeyReason } from "./daemon";
import { dataRootProblem } from "./data-root";
import type { DockerSource, StorageDriver } from "./settings";
import { EXTERNALS_KEY, parseStackExternals } from "./stack-externals";
import { parseStackChoices, parseStacksDir, StackChecks } from "./stacks-config";
import { checkNodeSubnet, poolOverlapWarnings } from "./subnet-plan";
import { unknownKeyReason } from "./unknown-keys";
import { CLOUDS, LOCAL_ALLOWED_CIDR, LocalHost, localCloudProblems } from "./local-cloud";
import { localHostPortProblems, localHostPorts, MAX_LOCAL_PORT_OFFSET } from "./local-ports";

export type RawConfig = Partial<Record<ConfigKey, string | undefined>>;

export interface ConfigProblem {
  /** A ConfigKey, or a key of the namespace that swarmlab does not know (a typo). */
  key: ConfigKey | (string & {});
  reason: string;
}

export type ParseResult =
  { ok: true; config: LabConfig; warnings: string[] } | { ok: false; problems: ConfigProblem[] };

export const DEFAULTS = {
  cloud: "openstack",
  managers: 1,
  workers: 2,
  image: "Ubuntu 22.04",
  sshUser: "ubuntu",
  flavor: "m1.small",
  externalNetwork: "public",
  cidr: "10.42.0.0/24",
  storageDriver: "overlay2",
  dockerVolumeFilesystem: "ext4",
  dockerSource: "docker-ce",
  bootTimeoutSeconds: 900,
  registryImage: "registry:2",
} as const;

export const MANAGER_COUNTS = [1, 3, 5, 7] as const;
export const MAX_WORKERS = 50;
export const MIN_VOLUME_GIB = 5;
export const MAX_VOLUME_GIB = 1000;
/** A cloud image and Docker need room: Ubuntu's images are 2-3 GiB before any package. */
export const MIN_BOOT_VOLUME_GIB = 10;
export const STORAGE_DRIVERS: readonly StorageDriver[] = ["overlay2", "btrfs", "zfs"];
export const DOCKER_SOURCES: readonly DockerSource[] = ["docker-ce", "distro"];
/** Owner is part of hostnames (`<owner>-worker-49`, at most 63 characters) and resource names. */
export const OWNER_PATTERN = /^[a-z][a-z0-9-]{0,29}$/;
/** A docker image reference: [registry[:port]/]name[:tag][@digest], lower-case repository. */
const IMAGE_REFERENCE =
  /^([a-z0-9.-]+(:[0-9]+)?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
/** Glance image ids are UUIDs. */
const GLANCE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LINUX_USER_PATTERN = /^[a-z_][a-z0-9_-]{0,31}$/;

/** Quotes a value the way the user wrote it, for messages. */
function shown(value: string): string {
  return JSON.stringify(value);
}

class Problems {
  readonly list: ConfigProblem[] = [];
  add(key: ConfigKey, reason: string): void {
    this.list.push({ key, reason });
  }
  addUnknown(key: string, reason: string): void {
    this.list.push({ key, reason });
  }
}

function readInteger(
  raw: RawConfig,
  key: ConfigKey,
  problems: Problems,
  range: { min: number; max: number; fix: string },
): number | undefined {
  const text = raw[key];
  if (text === undefined || text.trim() === "") return undefined;
  const value = Number(text);
  if (!Number.isInteger(value)) {
    problems.add(key, `is ${shown(text)}: it must be a whole number; ${range.fix}`);
    return undefined;
  }
  if (value < range.min || value > range.max) {
    problems.add(key, `is ${value}: ${range.fix}`);
    return undefined;
  }
  return value;
}

/** Image names that say a distribution other than Ubuntu (for the zfs check). */
const OTHER_DISTRIBUTIONS =
  /debian|centos|rocky|alma|fedora|rhel|red ?hat|suse|alpine|arch|flatcar|coreos/i;

function readBoolean(
  raw: RawConfig,
  key: ConfigKey,
  problems: Problems,
  fallback = false,
): boolean {
  const text = raw[key];
  if (text === undefined || text.trim() === "") return fallback;
  if (text === "true" || text === "false") return text === "true";
  problems.add(key, `is ${shown(text)}: it must be true or false`);
  return false;
}

function readText(raw: RawConfig, key: ConfigKey, fallback: string, problems: Problems): string {
  const text = raw[key];
  if (text === undefined) return fallback;
  if (text.trim() === "") {
    problems.add(key, `is empty: remove it to use the default ${shown(fallback)}, or name one`);
    return fallback;
  }
  return text;
}

function readChoice<T extends string>(
  raw: RawConfig,
  key: ConfigKey,
  choices: readonly T[],
  fallback: T,
  problems: Problems,
): T {
  const text = raw[key];
  if (text === undefined) return fallback;
  if ((choices as readonly string[]).includes(text)) return text as T;
  problems.add(key, `is ${shown(text)}: choose one of ${choices.join(", ")}`);
  return fallback;
}

/** A list given as a JSON array of strings (what `pulumi config set --path` and YAML lists store). */
function readStringList(raw: RawConfig, key: ConfigKey, problems: Problems): string[] | undefined {
  const text = raw[key];
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    problems.add(
      key,
      `is ${shown(text)}: it must be a list, e.g. \`pulumi config set --path '${CONFIG_NAMESPACE}:${key}[0]' VALUE\``,
    );
    return undefined;
  }
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    problems.add(key, `is ${text}: it must be a list of strings`);
    return undefined;
  }
  return value as string[];
}

function readCidrList(raw: RawConfig, key: ConfigKey, problems: Problems): Ipv4Cidr[] | undefined {
  const list = readStringList(raw, key, problems);
  if (list === undefined) return undefined;
  const cidrs: Ipv4Cidr[] = [];
  list.forEach((text, index) => {
    const parsed = parseIpv4Cidr(text);
    if (parsed.ok) cidrs.push(parsed.cidr);
    else problems.add(key, `[${index}] is ${shown(text)}: ${parsed.reason}`);
  });
  return cidrs;
}

/** CIDRs listed more than once (compared canonically: 10.0.0.0/8 twice), in first-seen order. */
export function duplicateCidrs(cidrs: readonly Ipv4Cidr[]): { text: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const cidr of cidrs) counts.set(cidr.text, (counts.get(cidr.text) ?? 0) + 1);
  return [...counts].filter(([, count]) => count > 1).map(([text, count]) => ({ text, count }));
}

function readDaemonConfig(raw: RawConfig, problems: Problems): Record<string, unknown> | undefined {
  const text = raw.daemonConfig;
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    problems.add("daemonConfig", `is ${shown(text)}: it must be an object of daemon.json keys`);
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.add("daemonConfig", `is ${text}: it must be an object of daemon.json keys`);
    return undefined;
  }
  const entries = value as Record<string, unknown>;
  for (const key of Object.keys(entries).sort()) {
    const refused = refusedDaemonKeyReason(key);
    if (refused !== undefined) {
      problems.add("daemonConfig", `sets ${shown(key)}, ${refused}`);
    } else if (!(KNOWN_DAEMON_KEYS as readonly string[]).includes(key)) {
      problems.add(
        "daemonConfig",
        `sets ${shown(key)}, which is not a daemon.json key dockerd accepts; check its spelling ` +
          "against https://docs.docker.com/reference/cli/dockerd/#daemon-configuration-file",
      );
    }
  }
  return entries;
}

function defaultOwner(stackName: string): string {
  return stackName.toLowerCase();
}

/**
 * Pulumi.yaml cannot declare an optional key without making it required, so optional keys are
 * declared with an "unset" default: "" for text, 0 for numbers. Both mean "not set" here.
 */
export const UNSET_DEFAULTS: Partial<Record<ConfigKey, string>> = {
  owner: "",
  network: "",
  imageId: "",
  bootVolumeSize: "0",
  managerFlavor: "",
  confirmManagerRemoval: "",
  dockerVolumeFilesystem: "",
  mtu: "0",
  dockerVolumeSize: "0",
  stacksDir: "",
  localImage: "",
  localPortOffset: "0",
};

function withoutUnsetDefaults(input: RawConfig): RawConfig {
  const isUnset = ([key, value]: [string, string | undefined]) =>
    value !== undefined && value.trim() === UNSET_DEFAULTS[key as ConfigKey];
  return Object.fromEntries(Object.entries(input).filter((entry) => !isUnset(entry)));
}

/**
 * Validates raw config strings. Pure: the same input always gives the same result. `checkStacks`
 * (infra/stacks/) checks the chosen stacks against stacks/; without it only their shape is checked.
 */
export function parseLabConfig(
  input: RawConfig,
  stackName: string,
  checkStacks?: StackChecks,
  host: LocalHost = { totalMemoryBytes: totalmem() },
): ParseResult {
  const raw = withoutUnsetDefaults(input);
  const problems = new Problems();
  const warnings: string[] = [];

  // First, as they often explain the problems below (a misspelt storageDriver is not btrfs).
  for (const [key, value] of Object.entries(input).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (value !== undefined && !isConfigKey(key)) problems.addUnknown(key, unknownKeyReason(key));
  }

  const cloud = readChoice(raw, "cloud", CLOUDS, DEFAULTS.cloud, problems);
  const ownerText = raw.owner ?? defaultOwner(stackName);
  if (!OWNER_PATTERN.test(ownerText)) {
    const source = raw.owner === undefined ? `(from the stack name ${shown(stackName)}) ` : "";
    problems.add(
      "owner",
      `${source}is ${shown(ownerText)}: it must start with a letter and hold only a-z, 0-9 and -, ` +
        "at most 30 characters, because it is part of every host name; " +
        "set it with `pulumi config set swarmlab:owner alice`",
    );
  }

  const managers =
    readInteger(raw, "managers", problems, {
      min: 1,
      max: 7,
      fix: "a swarm needs 1, 3, 5 or 7 managers",
    }) ?? DEFAULTS.managers;
  if (!(MANAGER_COUNTS as readonly number[]).includes(managers)) {
    problems.add(
      "managers",
      `is ${managers}: a swarm needs an odd number of managers (1, 3, 5 or 7) to keep quorum; ` +
        `${managers} managers tolerate no more failures than ${managers - 1}`,
    );
  }
  const workers =
    readInteger(raw, "workers", problems, {
      min: 0,
      max: MAX_WORKERS,
      fix: `set a number of workers from 0 to ${MAX_WORKERS}`,
    }) ?? DEFAULTS.workers;

  const image = readText(raw, "image", DEFAULTS.image, problems);
  const imageId = raw.imageId === undefined ? undefined : raw.imageId.trim();
  if (imageId !== undefined && !GLANCE_ID_PATTERN.test(imageId)) {
    problems.add(
      "imageId",
      `is ${shown(raw.imageId ?? "")}: it must be a Glance image id (a UUID, see ` +
        "`openstack image list`), or remove it to boot the image named by swarmlab:image",
    );
  }
  const bootVolumeSize = readInteger(raw, "bootVolumeSize", problems, {
    min: MIN_BOOT_VOLUME_GIB,
    max: MAX_VOLUME_GIB,
    fix: `a boot volume must be ${MIN_BOOT_VOLUME_GIB} to ${MAX_VOLUME_GIB} GiB (remove it to boot on the flavor's disk)`,
  });
  const sshUser = readText(raw, "sshUser", DEFAULTS.sshUser, problems);
  if (!LINUX_USER_PATTERN.test(sshUser)) {
    problems.add("sshUser", `is ${shown(sshUser)}: it must be a Linux user name such as "ubuntu"`);
  }
  const flavor = readText(raw, "flavor", DEFAULTS.flavor, problems);
  const managerFlavor = readText(raw, "managerFlavor", flavor, problems);
  const externalNetwork = readText(raw, "externalNetwork", DEFAULTS.externalNetwork, problems);
  const network = raw.network === undefined ? undefined : readText(raw, "network", "", problems);

  const cidrText = raw.cidr ?? DEFAULTS.cidr;
  const cidrParse = parseIpv4Cidr(cidrText);
  let subnet: Ipv4Cidr | undefined;
  let swarmAddressPool: string | undefined;
  if (!cidrParse.ok) {
    problems.add("cidr", `is ${shown(cidrText)}: ${cidrParse.reason}`);
  } else {
    subnet = cidrParse.cidr;
    // On an existing network, cidr shapes nothing: its real subnet is checked at preview
    // (subnet-plan.ts existingNetworkConfig), and the pool below is replaced then.
    const check = checkNodeSubnet(subnet, network === undefined ? managers + workers : 0);
    for (const reason of check.problems) problems.add("cidr", `is ${subnet.text}: ${reason}`);
    swarmAddressPool = check.swarmAddressPool;
  }

  const dnsNameservers = readStringList(raw, "dnsNameservers", problems) ?? [];
  if (network !== undefined && dnsNameservers.length > 0) {
    problems.add(
      "dnsNameservers",
      `is ${raw.dnsNameservers} but network is set: dnsNameservers only applies to the subnet ` +
        "swarmlab creates; set DNS servers on your network's subnet and remove dnsNameservers",
    );
  }
  dnsNameservers.forEach((server, index) => {
    if (!isIpv4Address(server)) {
      problems.add("dnsNameservers", `[${index}] is ${shown(server)}: it must be an IPv4 address`);
    }
  });

  let allowedCidrs: Ipv4Cidr[] = [];
  if (raw.allowedCidrs === undefined && cloud === "docker") {
    problems.add(
      "allowedCidrs",
      "is not set: the local cloud publishes the managers' ports on 127.0.0.1 only; say so " +
        `with \`pulumi config set --path 'swarmlab:allowedCidrs[0]' ${LOCAL_ALLOWED_CIDR}\``,
    );
  } else if (raw.allowedCidrs === undefined) {
    problems.add(
      "allowedCidrs",
      "is not set: list who may reach the nodes (SSH, ICMP, the registry and the Docker API), including the machine " +
        "running pulumi, e.g. `pulumi config set --path 'swarmlab:allowedCidrs[0]' 203.0.113.0/24` " +
        "(your campus range)",
    );
  } else {
    allowedCidrs = readCidrList(raw, "allowedCidrs", problems) ?? [];
    for (const duplicate of duplicateCidrs(allowedCidrs)) {
      problems.add(
        "allowedCidrs",
        `lists ${duplicate.text} ${duplicate.count} times: Neutron refuses a second identical ` +
          "security-group rule (409 SecurityGroupRuleExists), so the first `pulumi up` would " +
          "fail; keep one entry of it",
      );
    }
    if (raw.allowedCidrs.trim() === "[]") {
      problems.add(
        "allowedCidrs",
        "is an empty list: nobody could reach the cluster; add your campus range",
      );
    }
    // The policy pack's measure (cidr-coverage.ts): all of allowedCidrs together, so that
    // 0.0.0.0/1 + 128.0.0.0/1 warns as 0.0.0.0/0 does.
    for (const wide of publicCoverage(allowedCidrs.map((c) => c.text)).tooWide) {
      warnings.push(
        `allowedCidrs contains ${wide.publicCidrs.join(", ")}: ${describeCoverage(wide)}. SSH, ` +
          "ICMP, the registry, the Docker API and the stacks' published ports are open that " +
          "widely (they still need the stack's key, password or client certificate), and the " +
          "class policy pack refuses it (swarmlab-no-wide-access); use your campus range",
      );
    }
  }

  const storageDriver = readChoice(
    raw,
    "storageDriver",
    STORAGE_DRIVERS,
    DEFAULTS.storageDriver,
    problems,
  );
  const dockerVolumeSize = readInteger(raw, "dockerVolumeSize", problems, {
    min: MIN_VOLUME_GIB,
    max: MAX_VOLUME_GIB,
    fix: `a Docker volume must be ${MIN_VOLUME_GIB} to ${MAX_VOLUME_GIB} GiB`,
  });
  if (
    storageDriver !== "overlay2" &&
    dockerVolumeSize === undefined &&
    raw.dockerVolumeSize === undefined
  ) {
    problems.add(
      "dockerVolumeSize",
      `is not set but storageDriver is ${storageDriver}: ${storageDriver} needs a Cinder volume ` +
        `of its own; set e.g. \`pulumi config set swarmlab:dockerVolumeSize 20\` (at least ${MIN_VOLUME_GIB} GiB)`,
    );
  }
  const dockerVolumeFilesystem = readChoice(
    raw,
    "dockerVolumeFilesystem",
    ["ext4", "xfs"] as const,
    DEFAULTS.dockerVolumeFilesystem,
    problems,
  );
  if (raw.dockerVolumeFilesystem !== undefined && storageDriver !== "overlay2") {
    problems.add(
      "dockerVolumeFilesystem",
      `is ${shown(raw.dockerVolumeFilesystem)} but storageDriver is ${storageDriver}, which formats ` +
        "the volume itself; remove dockerVolumeFilesystem",
    );
  }
  // Only Ubuntu ships zfsutils-linux with a prebuilt kernel module. A name that says another
  // distribution is refused; a name that says neither (a campus's own image name, or an image
  // chosen by id) only warns: the name cannot prove what the image is (issue 26, item 13).
  if (storageDriver === "zfs" && !(imageId === undefined && /ubuntu/i.test(image))) {
    const why =
      "only Ubuntu ships zfsutils-linux with a prebuilt kernel module (Debian builds it with " +
      "DKMS from contrib at boot)";
    if (imageId === undefined && OTHER_DISTRIBUTIONS.test(image)) {
      problems.add(
        "storageDriver",
        `is zfs but image ${shown(image)} is not Ubuntu: ${why}; use an Ubuntu image or ` +
          "storageDriver btrfs",
      );
    } else {
      warnings.push(
        `storageDriver is zfs and ${imageId === undefined ? `image ${shown(image)}` : `imageId ${shown(imageId)}`} ` +
          `does not say Ubuntu: ${why}. If the image is not Ubuntu-based, cloud-init fails ` +
          "installing zfsutils-linux and no node gets Docker; use storageDriver btrfs then",
      );
    }
  }

  const dockerSource = readChoice(
    raw,
    "dockerSource",
    DOCKER_SOURCES,
    DEFAULTS.dockerSource,
    problems,
  );
  const mtu = readInteger(raw, "mtu", problems, {
    min: 1280,
    max: 9000,
    fix: "set the tenant network's MTU, 1280 to 9000 (1450 on most VXLAN networks), or remove it",
  });
  const daemonConfig = readDaemonConfig(raw, problems) ?? {};
  // The Docker volume is mounted wherever data-root points: the renderer's own rule decides.
  const dataRoot = daemonConfig["data-root"];
  const dataRootReason = dataRoot === undefined ? undefined : dataRootProblem(dataRoot);
  if (dataRootReason !== undefined) {
    problems.add(
      "daemonConfig",
      `sets "data-root" to ${JSON.stringify(dataRoot)}: ${dataRootReason}`,
    );
  }

  const bootTimeoutSeconds =
    readInteger(raw, "bootTimeoutSeconds", problems, {
      min: 60,
      max: 3600,
      fix: "set a deadline from 60 to 3600 seconds",
    }) ?? DEFAULTS.bootTimeoutSeconds;
  // On by default: the tokens in instance metadata stop working once the swarm has formed.
  const rotateJoinTokens = readBoolean(raw, "rotateJoinTokens", problems, true);
  const autolock = readBoolean(raw, "autolock", problems);
  const configDrive = readBoolean(raw, "configDrive", problems);
  const registryImage = readText(raw, "registryImage", DEFAULTS.registryImage, problems);
  if (!IMAGE_REFERENCE.test(registryImage)) {
    problems.add(
      "registryImage",
      `is ${shown(registryImage)}: it must be a docker image reference such as "registry:2" or "registry.example.org:5000/mirror/registry:2.8"`,
    );
  }

  const localImage = raw.localImage?.trim();
  if (localImage !== undefined && !IMAGE_REFERENCE.test(localImage)) {
    problems.add(
      "localImage",
      `is ${shown(raw.localImage ?? "")}: it must be a docker image reference such as ` +
        '"swarmlab-node:docker" (see `docker images`), or remove it to build infra/local/image/',
    );
  } else if (localImage !== undefined && cloud !== "docker") {
    problems.add(
      "localImage",
      `is ${shown(localImage)}, an image for the local cloud's node containers, but cloud is ` +
        `${cloud}, whose servers boot a Glance image (swarmlab:image); remove it ` +
        "(`pulumi config rm swarmlab:localImage`), or set `pulumi config set swarmlab:cloud docker`",
    );
  }

  const confirmManagerRemoval = raw.confirmManagerRemoval;
  if (confirmManagerRemoval !== undefined && !/^[1357]->[1357]$/.test(confirmManagerRemoval)) {
    problems.add(
      "confirmManagerRemoval",
      `is ${shown(confirmManagerRemoval)}: write the change it accepts, e.g. "3->1"`,
    );
  }

  const localPortOffset =
    readInteger(raw, "localPortOffset", problems, {
      min: 0,
      max: MAX_LOCAL_PORT_OFFSET,
      fix:
        "it is added to every port the local cloud publishes on 127.0.0.1, the registry's 5000 " +
        `the highest, which must stay at most 65535; use 0 to ${MAX_LOCAL_PORT_OFFSET}, e.g. 100`,
    }) ?? 0;

  const stackChoices = parseStackChoices(raw.stacks, raw.stackOverrides);
  for (const problem of stackChoices.problems) problems.add(problem.key, problem.reason);
  const stacksDir = parseStacksDir(raw.stacksDir);
  for (const problem of stacksDir.problems) problems.add(problem.key, problem.reason);
  const externals = parseStackExternals(raw.stackExternals, { managers, workers });
  for (const reason of externals.problems) problems.add(EXTERNALS_KEY, reason);
  const shapesOk =
    stackChoices.problems.length === 0 &&
    stacksDir.problems.length === 0 &&
    externals.problems.length === 0;
  if (shapesOk && checkStacks) {
    const context = {
      stacksDirs: stacksDir.dirs,
      externals: externals.externals,
      ...(cloud === "docker"
        ? {
            local: {
              offset: localPortOffset,
              hostPorts: localHostPorts(managers, localPortOffset),
            },
          }
        : {}),
    };
    for (const problem of checkStacks(stackChoices.choices, context)) {
      problems.add(problem.key, problem.reason);
    }
  }

  if (cloud === "docker") {
    for (const reason of localHostPortProblems(localHostPorts(managers, localPortOffset))) {
      problems.add("localPortOffset", reason);
    }
  } else if (raw.localPortOffset !== undefined) {
    problems.add(
      "localPortOffset",
      `is ${shown(raw.localPortOffset)}, but only the local cloud (swarmlab:cloud docker) publishes ` +
        "ports on this machine; on OpenStack the nodes keep their own ports; remove it " +
        "(`pulumi config rm swarmlab:localPortOffset`)",
    );
  }

  if (cloud === "docker") {
    const local = localCloudProblems({
      raw,
      storageDriver,
      nodes: managers + workers,
      ...(subnet !== undefined ? { subnetPrefix: subnet.prefix } : {}),
      host,
    });
    for (const problem of local) problems.add(problem.key, problem.reason);
  }

  if (swarmAddressPool !== undefined && network === undefined) {
    warnings.push(
      ...poolOverlapWarnings(
        swarmAddressPool,
        allowedCidrs.map((c) => c.text),
      ),
    );
  }

  if (problems.list.length > 0) return { ok: false, problems: problems.list };

  const config: LabConfig = {
    cloud,
    localPortOffset,
    owner: ownerText,
    managers,
    workers,
    image,
    ...(imageId !== undefined ? { imageId } : {}),
    ...(bootVolumeSize !== undefined ? { bootVolumeSize } : {}),
    configDrive,
    sshUser,
    flavor,
    managerFlavor,
    externalNetwork,
    ...(network !== undefined ? { network } : {}),
    cidr: (subnet as Ipv4Cidr).text,
    dnsNameservers: Object.freeze([...dnsNameservers]),
    allowedCidrs: Object.freeze(allowedCidrs.map((c) => c.text)),
    storageDriver,
    ...(dockerVolumeSize !== undefined ? { dockerVolumeSize } : {}),
    dockerVolumeFilesystem,
    dockerSource,
    ...(mtu !== undefined ? { mtu } : {}),
    daemonConfig: Object.freeze({ ...daemonConfig }),
    swarmAddressPool: swarmAddressPool as string,
    rotateJoinTokens,
    autolock,
    bootTimeoutSeconds,
    ...(confirmManagerRemoval !== undefined ? { confirmManagerRemoval } : {}),
    registryImage,
    ...(localImage !== undefined && cloud === "docker" ? { localImage } : {}),
    stacks: Object.freeze(stackChoices.choices),
    stacksDirs: Object.freeze(stacksDir.dirs),
    stackExternals: externals.externals,
  };
  return { ok: true, config: Object.freeze(config), warnings };
}
