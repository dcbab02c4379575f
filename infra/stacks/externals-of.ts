/**
 * What a compose file needs from outside itself on the swarm (docker CLI 28's loader,
 * cli/compose/convert): secrets and networks marked `external` (by their `name:`, else their
 * key; the older `external: {name: x}` too), and the node labels its placement constraints
 * test (`node.labels.db == true`). `docker stack deploy` refuses a missing external secret or
 * network, and a task whose constraint no node meets stays pending forever: swarmlab checks them
 * against swarmlab:stackExternals at preview instead.
 */

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export interface StackExternalNeeds {
  /** Swarm secret name -> where the file names it ("secrets.api_key"). */
  secrets: Map<string, string>;
  networks: Map<string, string>;
  /** Label name -> where ("services.db.deploy.placement.constraints[0]"). */
  nodeLabels: Map<string, string>;
}

function externalName(key: string, definition: unknown): string | undefined {
  if (!isObject(definition)) return undefined;
  const external = definition.external;
  if (external === true) return typeof definition.name === "string" ? definition.name : key;
  if (isObject(external)) return typeof external.name === "string" ? external.name : key;
  return undefined;
}

/** `node.labels.<name>` in a constraint, as swarmkit's constraint parser reads it. */
const LABEL_CONSTRAINT = /^\s*node\.labels\.([^\s=!]+)\s*(==|!=)/;

/** The externals of an interpolated compose document. */
export function externalsOf(document: Record<string, unknown>): StackExternalNeeds {
  const needs: StackExternalNeeds = {
    secrets: new Map(),
    networks: new Map(),
    nodeLabels: new Map(),
  };
  for (const section of ["secrets", "networks"] as const) {
    const entries = isObject(document[section]) ? document[section] : {};
    for (const [key, definition] of Object.entries(entries)) {
      const name = externalName(key, definition);
      if (name !== undefined) needs[section].set(name, `${section}.${key}`);
    }
  }
  const services = isObject(document.services) ? document.services : {};
  for (const [service, definition] of Object.entries(services)) {
    const deploy = isObject(definition) && isObject(definition.deploy) ? definition.deploy : {};
    const placement = isObject(deploy.placement) ? deploy.placement : {};
    const constraints = Array.isArray(placement.constraints) ? placement.constraints : [];
    constraints.forEach((constraint: unknown, index) => {
      const match = typeof constraint === "string" ? LABEL_CONSTRAINT.exec(constraint) : null;
      // `!=` is met by a node without the label: only `==` needs one declared.
      if (match && match[2] === "==" && !needs.nodeLabels.has(match[1])) {
        needs.nodeLabels.set(
          match[1],
          `services.${service}.deploy.placement.constraints[${index}]`,
        );
      }
    });
  }
  return needs;
}
