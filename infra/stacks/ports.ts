/**
 * A service's `ports:` in both syntaxes, as the docker CLI reads them: a long-syntax entry as it
 * is, a short one ("8080:80", "127.0.0.1:53:53/udp", "9000-9001:9000-9001", "80", or a bare
 * number) split as github.com/docker/go-connections/nat ParsePortSpec does, one entry per port of
 * a range (cli/compose/loader toServicePortConfigs). docker drops the host IP of a short entry
 * (a swarm service listens on every address) and prints a warning; so does this.
 */

export interface PortSpec {
  target: number;
  published?: number;
  /** ingress (the routing mesh) or host; unset in a long entry that names none (ingress). */
  mode?: string;
  /** tcp, udp or sctp; unset in a long entry that names none (tcp). */
  protocol?: string;
}

function range(text: string, where: string): [number, number] {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!match) throw new Error(`${where}: invalid port ${JSON.stringify(text)}`);
  const start = Number(match[1]);
  const end = match[2] === undefined ? start : Number(match[2]);
  if (end < start || end > 65535) throw new Error(`${where}: invalid port range ${text}`);
  return [start, end];
}

/** One short-syntax entry as the long entries docker makes of it. */
export function parseShortPort(spec: string | number, where = "ports"): PortSpec[] {
  const text = String(spec);
  const slash = text.lastIndexOf("/");
  const protocol = slash >= 0 ? text.slice(slash + 1).toLowerCase() : "tcp";
  const rest = slash >= 0 ? text.slice(0, slash) : text;
  if (!["tcp", "udp", "sctp"].includes(protocol)) {
    throw new Error(`${where}: invalid protocol ${JSON.stringify(protocol)} in ${text}`);
  }
  // An IPv6 host address comes in brackets; what follows its last colon is the host port.
  const parts = rest.startsWith("[")
    ? [rest.slice(0, rest.indexOf("]") + 1), ...rest.slice(rest.indexOf("]") + 2).split(":")]
    : rest.split(":");
  if (parts.length > 3) throw new Error(`${where}: invalid port ${JSON.stringify(text)}`);
  const container = range(parts[parts.length - 1], where);
  const host = parts.length >= 2 && parts[parts.length - 2] !== "" ? parts[parts.length - 2] : "";
  const count = container[1] - container[0];
  const published = host === "" ? undefined : range(host, where);
  // As nat.ParsePortSpec: ranges of different lengths only for a single target port.
  if (published && published[1] - published[0] !== count && count !== 0) {
    throw new Error(`${where}: the published and target ranges of ${text} differ in length`);
  }
  const ports: PortSpec[] = [];
  // One target and a range of published ports: docker makes one entry per published port.
  const entries = published ? Math.max(count, published[1] - published[0]) : count;
  for (let i = 0; i <= entries; i++) {
    ports.push({
      target: container[0] + (count === 0 ? 0 : i),
      ...(published ? { published: published[0] + i } : {}),
      mode: "ingress",
      protocol,
    });
  }
  return ports;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every entry of a service's `ports:` as long entries; throws on an entry docker refuses. */
export function portsOf(value: unknown, where = "ports"): PortSpec[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown, index) => {
    const at = `${where}[${index}]`;
    if (typeof entry === "string" || typeof entry === "number") return parseShortPort(entry, at);
    if (!isObject(entry)) return [];
    return [
      {
        target: Number(entry.target),
        ...(entry.published !== undefined ? { published: Number(entry.published) } : {}),
        ...(typeof entry.mode === "string" ? { mode: entry.mode } : {}),
        ...(typeof entry.protocol === "string" ? { protocol: entry.protocol } : {}),
      },
    ];
  });
}

/** A port as a long-syntax compose entry, in the order docker prints them. */
export function longPort(port: PortSpec): Record<string, unknown> {
  return {
    ...(port.mode !== undefined ? { mode: port.mode } : {}),
    target: port.target,
    ...(port.published !== undefined ? { published: port.published } : {}),
    ...(port.protocol !== undefined ? { protocol: port.protocol } : {}),
  };
}
