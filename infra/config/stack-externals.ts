/**
 * `swarmlab:stackExternals`: what the chosen stacks name as `external` (secrets, networks) or
 * place by (node labels), which swarmlab creates on the swarm before the stacks deploy and removes
 * after them. Its shape is checked here; whether a chosen stack names something not declared is
 * checked by infra/stacks/ (validate-stacks.ts).
 *
 *   swarmlab:stackExternals:
 *     secrets:
 *       api_key: { generate: true }          # a random password, a Pulumi secret (stack output)
 *       tls_key: { value: { secure: ... } }  # `pulumi config set --secret --path 'swarmlab:stackExternals.secrets.tls_key.value' ...`
 *     networks:
 *       shared: {}                           # an overlay network, at the overlay MTU
 *     nodeLabels:
 *       worker-0: { db: "true" }             # for `node.labels.db == true`
 *
 * A secret's value never enters LabConfig: only where it comes from. The program reads the
 * value itself as a Pulumi secret (infra/stacks/externals.ts), so no message can quote it.
 */

export const EXTERNALS_KEY = "stackExternals";

/** A swarm object name as dockerd accepts one (secrets, networks). */
export const SWARM_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9])?$/;
const LABEL_KEY = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
/** Node references as a class writes them, the same for every student: "worker-0", "manager-1". */
const NODE_REF = /^(manager|worker)-(\d+)$/;

export interface ExternalSecret {
  /** generate: a random password made by the program; value: set with `pulumi config set --secret`. */
  source: "generate" | "value";
}

export interface StackExternals {
  readonly secrets: Readonly<Record<string, ExternalSecret>>;
  /** Overlay networks, by name. */
  readonly networks: Readonly<Record<string, { attachable: boolean }>>;
  /** By node reference ("worker-0"): labels to set on that node. */
  readonly nodeLabels: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export const NO_EXTERNALS: StackExternals = Object.freeze({
  secrets: {},
  networks: {},
  nodeLabels: {},
});

/** The shape, for messages that ask for a key to be set. */
export const EXTERNALS_SHAPE =
  "{secrets: {NAME: {generate: true} | {value: <pulumi config set --secret>}}, networks: {NAME: {}}, nodeLabels: {worker-0: {LABEL: VALUE}}}";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `{secure: "..."}`: how a secret value reads in Pulumi.<stack>.yaml before decryption. */
function isSecretValue(value: unknown): boolean {
  return (
    (typeof value === "string" && value !== "") ||
    (isObject(value) && typeof value.secure === "string")
  );
}

/** The node references a cluster of this size has, for messages and checks. */
export function nodeRefs(managers: number, workers: number): string[] {
  return [
    ...Array.from({ length: managers }, (_, i) => `manager-${i}`),
    ...Array.from({ length: workers }, (_, i) => `worker-${i}`),
  ];
}

function readSecrets(value: unknown, add: (reason: string) => void): StackExternals["secrets"] {
  const secrets: Record<string, ExternalSecret> = {};
  if (value === undefined) return secrets;
  if (!isObject(value)) {
    // Not quoted: it may be a secret written in the wrong place.
    add("secrets must be an object {NAME: {generate: true} | {value: <secret>}}");
    return secrets;
  }
  for (const [name, setting] of Object.entries(value)) {
    const at = `secrets.${name}`;
    if (!SWARM_NAME.test(name)) {
      add(`${at}: "${name}" is not a swarm secret name (a-z, A-Z, 0-9, _ . -; at most 64)`);
      continue;
    }
    const keys = isObject(setting) ? Object.keys(setting).sort() : [];
    if (isObject(setting) && keys.join() === "generate" && setting.generate === true) {
      secrets[name] = { source: "generate" };
    } else if (isObject(setting) && keys.join() === "value" && isSecretValue(setting.value)) {
      secrets[name] = { source: "value" };
    } else {
      // Never quote the setting: it may hold the secret.
      add(
        `${at} must be {generate: true} (a random password) or {value: ...} set with ` +
          `\`pulumi config set --secret --path 'swarmlab:stackExternals.secrets.${name}.value' VALUE\``,
      );
    }
  }
  return secrets;
}

function readNetworks(value: unknown, add: (reason: string) => void): StackExternals["networks"] {
  const networks: Record<string, { attachable: boolean }> = {};
  if (value === undefined) return networks;
  if (!isObject(value)) {
    add(`networks must be an object {NAME: {}}, got ${JSON.stringify(value)}`);
    return networks;
  }
  for (const [name, setting] of Object.entries(value)) {
    const at = `networks.${name}`;
    const options = setting === null ? {} : setting;
    if (!SWARM_NAME.test(name)) {
      add(`${at}: "${name}" is not a network name (a-z, A-Z, 0-9, _ . -; at most 64)`);
    } else if (
      !isObject(options) ||
      Object.keys(options).some((k) => k !== "attachable") ||
      (options.attachable !== undefined && typeof options.attachable !== "boolean")
    ) {
      add(
        `${at} is ${JSON.stringify(setting)}: write {} or {attachable: true} (an overlay network at the overlay MTU)`,
      );
    } else {
      networks[name] = { attachable: options.attachable === true };
    }
  }
  return networks;
}

function readNodeLabels(
  value: unknown,
  refs: readonly string[],
  add: (reason: string) => void,
): StackExternals["nodeLabels"] {
  const labels: Record<string, Record<string, string>> = {};
  if (value === undefined) return labels;
  if (!isObject(value)) {
    add(`nodeLabels must be an object {worker-0: {LABEL: VALUE}}, got ${JSON.stringify(value)}`);
    return labels;
  }
  for (const [node, setting] of Object.entries(value)) {
    const at = `nodeLabels.${node}`;
    if (!NODE_REF.test(node) || !refs.includes(node)) {
      add(
        `${at}: "${node}" is not a node of this cluster; name one of ${refs.join(", ")} (role-index, the same for every student)`,
      );
      continue;
    }
    if (!isObject(setting)) {
      add(`${at} must be an object of labels {LABEL: VALUE}, got ${JSON.stringify(setting)}`);
      continue;
    }
    const out: Record<string, string> = {};
    for (const [key, label] of Object.entries(setting)) {
      if (!LABEL_KEY.test(key)) {
        add(`${at}.${key}: not a label name (a-z, A-Z, 0-9, _ . -)`);
      } else if (!["string", "number", "boolean"].includes(typeof label)) {
        add(`${at}.${key} is ${JSON.stringify(label)}: a label's value is text, e.g. "true"`);
      } else if (!/^[A-Za-z0-9_.:/@+-]*$/.test(String(label))) {
        add(
          `${at}.${key}: a label's value is letters, digits and _ . : / @ + - (no spaces or quotes)`,
        );
      } else {
        out[key] = String(label);
      }
    }
    labels[node] = out;
  }
  return labels;
}

/** The declared externals, or problems (each a reason for `swarmlab:stackExternals`). */
export function parseStackExternals(
  text: string | undefined,
  cluster: { managers: number; workers: number },
): { externals: StackExternals; problems: string[] } {
  const problems: string[] = [];
  if (text === undefined || text.trim() === "") return { externals: NO_EXTERNALS, problems };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!isObject(value)) {
    return {
      externals: NO_EXTERNALS,
      problems: [`must be an object ${EXTERNALS_SHAPE}`],
    };
  }
  const add = (reason: string) => problems.push(reason);
  for (const key of Object.keys(value)) {
    if (!["secrets", "networks", "nodeLabels"].includes(key)) {
      add(`${key} is not something swarmlab creates (secrets, networks, nodeLabels)`);
    }
  }
  const externals: StackExternals = {
    secrets: readSecrets(value.secrets, add),
    networks: readNetworks(value.networks, add),
    nodeLabels: readNodeLabels(value.nodeLabels, nodeRefs(cluster.managers, cluster.workers), add),
  };
  return { externals, problems };
}
